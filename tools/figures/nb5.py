"""Figuras del notebook 5: la atención multicabeza causal y el bloque transformer."""

from matplotlib.patches import Circle, FancyBboxPatch

from tools.figures import COLORS, EDGE, arrow, box, new_figure


def _suma(ax, x, y, r=0.22):
    """Dibuja el círculo con «+» que representa la suma de una conexión de atajo."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=EDGE, linewidth=1.4, zorder=3))
    ax.text(x, y, "+", ha="center", va="center", fontsize=15, fontweight="bold", zorder=4)


def _marco(ax, x, y, w, h, kind="bloque"):
    """Dibuja un marco redondeado de fondo, detrás de las cajas."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                facecolor=COLORS[kind], edgecolor=EDGE, linewidth=1.2, zorder=0))


def atencion_multicabeza():
    """Devuelve la figura del recorrido de la atención multicabeza, de abajo arriba."""
    fig, ax = new_figure(9.6, 8.8)
    cx = 4.8
    # entrada
    box(ax, cx - 2.2, 0.2, 4.4, 0.7, "entrada x   (batch, num_tokens, d_in)", "embedding")
    # proyecciones
    proj = [("W_query → consultas Q", 0.3), ("W_key → claves K", 3.4), ("W_value → valores V", 6.5)]
    for text, x in proj:
        box(ax, x, 1.5, 2.8, 0.7, text, "atencion", fontsize=10.5)
        arrow(ax, (cx, 0.9), (x + 1.4, 1.5))
    # división en cabezas
    box(ax, 0.3, 2.8, 9.0, 0.75,
        "dividir en cabezas:  (batch, num_tokens, d_out) → (batch, num_heads, num_tokens, head_dim)",
        "texto", fontsize=10)
    for _, x in proj:
        arrow(ax, (x + 1.4, 2.2), (x + 1.4, 2.8))
    # cabezas
    _marco(ax, 0.2, 4.05, 9.2, 2.05, kind="texto")
    heads = [("cabeza 1", 0.4), ("cabeza 2", 3.35), ("cabeza num_heads", 6.55)]
    for name, x in heads:
        box(ax, x, 4.25, 2.65, 1.65,
            f"{name}\n\nsoftmax(Q·Kᵀ / √head_dim\ncon máscara causal) · V", "atencion", fontsize=9.5)
        arrow(ax, (x + 1.32, 3.55), (x + 1.32, 4.25))
    ax.text(6.27, 5.07, "…", ha="center", va="center", fontsize=16)
    # concatenación, out_proj y salida
    box(ax, 0.3, 6.6, 9.0, 0.6, "concatenar las cabezas:  (batch, num_tokens, num_heads · head_dim = d_out)",
        "texto", fontsize=10)
    for _, x in heads:
        arrow(ax, (x + 1.32, 5.9), (x + 1.32, 6.6))
    box(ax, cx - 2.2, 7.55, 4.4, 0.6, "out_proj: mezcla las cabezas (d_out → d_out)", "atencion", fontsize=10)
    arrow(ax, (cx, 7.2), (cx, 7.55))
    arrow(ax, (cx, 8.15), (cx, 8.6))
    ax.text(cx + 0.15, 8.5, "vectores de contexto  (batch, num_tokens, d_out)", ha="left", va="center",
            fontsize=10.5)
    return fig


def bloque_transformer():
    """Devuelve la figura del bloque transformer de GPT-2: pre-LayerNorm, dos subcapas y dos atajos."""
    fig, ax = new_figure(8.0, 9.8)
    fig.set_size_inches(9.2, 11.27)  # misma proporción, más píxeles: queda por encima de 700 px de ancho
    cx, w, h = 4.4, 3.8, 0.62
    x0 = cx - w / 2
    _marco(ax, 0.2, 0.95, 7.6, 7.95)
    ax.text(0.4, 8.6, "bloque transformer", fontsize=11.5, fontweight="bold", va="center")
    ax.text(7.6, 8.6, "× n_layers (12 en GPT-2)", fontsize=10.5, ha="right", va="center")

    ax.text(cx, 0.35, "entrada  (batch, num_tokens, emb_dim)", ha="center", va="center", fontsize=11)
    steps = [
        (1.45, "LayerNorm  ·  norm1", "norma"),
        (2.45, "atención multicabeza causal  ·  att", "atencion"),
        (3.45, "dropout  ·  drop_shortcut", "dropout"),
        (5.0, "LayerNorm  ·  norm2", "norma"),
        (6.0, "feed-forward con GELU  ·  ff", "feedforward"),
        (7.0, "dropout  ·  drop_shortcut", "dropout"),
    ]
    for y, text, kind in steps:
        box(ax, x0, y, w, h, text, kind, fontsize=10.5)
    plus1, plus2 = 4.45, 8.0
    _suma(ax, cx, plus1)
    _suma(ax, cx, plus2)

    # camino principal
    arrow(ax, (cx, 0.6), (cx, 1.45))
    for a, b in [(1.45, 2.45), (2.45, 3.45), (5.0, 6.0), (6.0, 7.0)]:
        arrow(ax, (cx, a + h), (cx, b))
    arrow(ax, (cx, 3.45 + h), (cx, plus1 - 0.22))
    arrow(ax, (cx, plus1 + 0.22), (cx, 5.0))
    arrow(ax, (cx, 7.0 + h), (cx, plus2 - 0.22))
    arrow(ax, (cx, plus2 + 0.22), (cx, 9.6))
    ax.text(cx + 0.15, 9.35, "salida  (misma forma)", ha="left", va="center", fontsize=11)

    # atajos: copian la entrada de cada subcapa y la suman a su salida
    color = COLORS["destacado"]
    for start, end in [(1.15, plus1), (plus1 + 0.35, plus2)]:
        ax.plot([cx, 1.0, 1.0], [start, start, end], color=color, linewidth=2.2, zorder=1)
        arrow(ax, (1.0, end), (cx - 0.22, end), color=color, lw=2.2)
        ax.text(0.55, (start + end) / 2, "atajo", rotation=90, ha="left", va="center", fontsize=10.5,
                color=color, fontweight="bold")
    ax.text(cx + 0.35, plus1, "x = x + atajo", ha="left", va="center", fontsize=10)
    ax.text(cx + 0.35, plus2, "x = x + atajo", ha="left", va="center", fontsize=10)
    return fig


FIGURES = {
    "5_atencion_multicabeza.png": atencion_multicabeza,
    "5_bloque_transformer.png": bloque_transformer,
}
