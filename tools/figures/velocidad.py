"""Figuras del notebook extra de velocidad (notebooks/extra/velocidad.ipynb)."""

from matplotlib.patches import Rectangle

from tools.figures import COLORS, EDGE, arrow, box, new_figure


def figura_techo():
    """Al generar, cada token nuevo lee de memoria todos los pesos: el ancho de banda pone el techo, y
    guardar los pesos en menos bytes lo sube."""
    fig, ax = new_figure(10.0, 5.0)
    # la memoria: 12 bloques de cuatro matrices y la capa de salida, mucho mayor
    ax.text(1.75, 4.7, "memoria: los pesos", ha="center", fontsize=12, fontweight="bold")
    ax.add_patch(Rectangle((0.2, 1.75), 3.1, 2.75, facecolor="white", edgecolor=EDGE, linewidth=1.2))
    for b in range(12):
        x, y = 0.35 + (b % 6) * 0.48, 3.75 - (b // 6) * 0.65
        for m in range(4):
            ax.add_patch(Rectangle((x, y + m * 0.12), 0.4, 0.1, facecolor=COLORS["bloque"], edgecolor=EDGE,
                                   linewidth=0.6))
    ax.text(1.75, 2.78, "12 bloques × 4 matrices", ha="center", va="center", fontsize=9)
    ax.add_patch(Rectangle((0.35, 1.88), 2.8, 0.7, facecolor=COLORS["salida"], edgecolor=EDGE, linewidth=0.8))
    ax.text(1.75, 2.23, "capa de salida", ha="center", va="center", fontsize=10)
    box(ax, 6.6, 2.6, 1.7, 1.1, "CPU\n(un token)", "destacado", fontsize=11, bold=True)
    arrow(ax, (3.3, 3.15), (6.6, 3.15), lw=2.2)
    ax.text(4.95, 3.35, "cada token nuevo\nlee todos los pesos", ha="center", va="bottom", fontsize=10)
    ax.text(4.95, 2.95, "a la velocidad de la memoria\n(ancho de banda, GB/s)", ha="center", va="top",
            fontsize=9, style="italic")
    ax.text(5.0, 1.25, "tokens por segundo  ≤  ancho de banda  /  bytes de pesos por token", ha="center",
            fontsize=12, fontweight="bold")
    # menos bytes por número: el techo sube
    for i, (name, nbytes, gain) in enumerate([("float32", 4, "techo × 1"), ("bfloat16", 2, "techo × 2"),
                                              ("int8", 1, "techo casi × 4")]):
        x = 0.6 + i * 3.2
        ax.text(x, 0.55, name, ha="left", va="center", fontsize=10, fontweight="bold")
        for k in range(nbytes):
            ax.add_patch(Rectangle((x + 0.95 + k * 0.3, 0.42), 0.26, 0.26, facecolor=COLORS["embedding"],
                                   edgecolor=EDGE, linewidth=0.8))
        ax.text(x + 0.95, 0.18, f"{nbytes} byte{'s' if nbytes > 1 else ''} por número · {gain}", ha="left",
                va="center", fontsize=9)
    return fig


FIGURES = {
    "velocidad_techo.png": figura_techo,
}
