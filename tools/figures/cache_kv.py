"""Figuras del notebook extra de la caché KV (notebooks/extra/cache_kv.ipynb)."""

from matplotlib.patches import Rectangle

from tools.figures import COLORS, EDGE, arrow, box, new_figure

PROMPT = ["Hello", ",", "␣I", "␣am"]  # "Hello, I am", el texto de partida del notebook (␣ = espacio)


def _grid(ax, x0, y0, title, cached):
    """Dibuja 4 pasos de generación: qué posiciones pasan por el modelo y cuáles salen de la caché."""
    cell, steps, n_prompt = 0.56, 4, len(PROMPT)
    ax.text(x0 + 3.5 * cell, y0 + 0.95, title, ha="center", va="bottom", fontsize=13, fontweight="bold")
    for j in range(n_prompt + steps - 1):
        label = PROMPT[j] if j < n_prompt else f"nuevo {j - n_prompt + 1}"
        ax.text(x0 + (j + 0.5) * cell, y0 + 0.5, label, ha="left", va="bottom", rotation=40, fontsize=9)
    total = 0
    for s in range(steps):
        y = y0 - (s + 1) * cell
        ax.text(x0 - 0.12, y + cell / 2, f"paso {s + 1}", ha="right", va="center", fontsize=10)
        n = n_prompt + s  # tokens que hay en este paso
        processed = range(n) if (not cached or s == 0) else [n - 1]
        total += len(processed)
        for j in range(n):
            if j in processed:
                color, text = COLORS["destacado"], ""
            else:
                color, text = COLORS["atencion"], "K,V"
            ax.add_patch(Rectangle((x0 + j * cell, y), cell * 0.92, cell * 0.86, facecolor=color,
                                   edgecolor=EDGE, linewidth=1))
            if text:
                ax.text(x0 + (j + 0.46) * cell, y + 0.43 * cell, text, ha="center", va="center", fontsize=8)
    counts = " + ".join(str(n_prompt + s if not cached or s == 0 else 1) for s in range(steps))
    ax.text(x0 + 3.5 * cell, y0 - (steps + 1) * cell + 0.15, f"posiciones procesadas:\n{counts} = {total}",
            ha="center", va="top", fontsize=11)


def figura_pasos():
    """Sin caché cada paso vuelve a pasar todo el texto por el modelo; con caché, solo el token nuevo."""
    fig, ax = new_figure(10.5, 5.0)
    _grid(ax, 1.0, 3.6, "Sin caché", cached=False)
    _grid(ax, 6.3, 3.6, "Con caché KV", cached=True)
    for x, color, text in [(1.0, COLORS["destacado"], "pasa por los 12 bloques en este paso"),
                           (6.3, COLORS["atencion"], "claves y valores leídos de la caché")]:
        ax.add_patch(Rectangle((x, 0.12), 0.35, 0.28, facecolor=color, edgecolor=EDGE))
        ax.text(x + 0.5, 0.26, text, va="center", fontsize=10)
    return fig


def figura_atencion():
    """Un paso con caché: el token nuevo calcula su consulta, clave y valor; las claves y valores
    anteriores se leen de la caché, y la nueva clave y el nuevo valor se añaden a ella."""
    fig, ax = new_figure(10.0, 4.6)
    box(ax, 0.2, 1.9, 1.6, 0.8, "token nuevo\n(normalizado)", "embedding", fontsize=10)
    for i, (name, y) in enumerate([("W_query", 3.3), ("W_key", 2.0), ("W_value", 0.7)]):
        box(ax, 2.4, y, 1.3, 0.6, name, "atencion", fontsize=10)
        arrow(ax, (1.8, 2.3), (2.4, y + 0.3))
        box(ax, 4.2, y, 0.9, 0.6, ["q", "k", "v"][i], "atencion", fontsize=11, bold=True)
        arrow(ax, (3.7, y + 0.3), (4.2, y + 0.3))
    # la caché: una pila de filas (una por token anterior) y la fila nueva en color destacado
    for label, y in [("K", 1.85), ("V", 0.55)]:
        ax.text(6.35, y + 1.0, f"{label} en la caché", ha="center", fontsize=10)
        for r in range(4):
            ax.add_patch(Rectangle((5.8, y + 0.72 - r * 0.16), 1.1, 0.14, facecolor=COLORS["atencion"],
                                   edgecolor=EDGE, linewidth=0.8))
        ax.add_patch(Rectangle((5.8, y + 0.72 - 4 * 0.16), 1.1, 0.14, facecolor=COLORS["destacado"],
                               edgecolor=EDGE, linewidth=0.8))
    arrow(ax, (5.1, 2.3), (5.8, 1.97))
    arrow(ax, (5.1, 1.0), (5.8, 0.67))
    box(ax, 7.6, 2.9, 2.2, 1.0, "softmax(q·Kᵀ / √d)", "atencion", fontsize=10)
    arrow(ax, (5.1, 3.6), (7.6, 3.5))
    arrow(ax, (6.9, 2.2), (7.6, 3.1))
    box(ax, 7.6, 1.1, 2.2, 1.0, "· V  →  vector\nde contexto", "atencion", fontsize=10)
    arrow(ax, (8.7, 2.9), (8.7, 2.1))
    arrow(ax, (6.9, 0.95), (7.6, 1.4))
    ax.text(5.0, 0.05, "Solo se calcula una fila nueva de K y de V; las anteriores no cambian y se leen.",
            ha="center", fontsize=10, style="italic")
    return fig


FIGURES = {
    "cache_kv_pasos.png": figura_pasos,
    "cache_kv_atencion.png": figura_atencion,
}
