"""Figura del notebook 7: el modelo GPT completo montado con sus piezas."""

from matplotlib.patches import FancyBboxPatch

from tools.figures import COLORS, EDGE, arrow, box, new_figure, num, plus


def modelo_gpt():
    """Devuelve la figura de GPTModel de abajo arriba, con el nombre de cada atributo y las formas."""
    fig, ax = new_figure(9.0, 10.2)
    cx, w, h = 3.9, 4.6, 0.7
    x0 = cx - w / 2
    shape_x = 6.75  # columna de la derecha con la forma del tensor en cada punto

    def forma(y, text):
        ax.text(shape_x, y, text, ha="left", va="center", fontsize=10, color="#555555")

    box(ax, x0, 0.2, w, h, "ids de tokens  (de tiktoken)", "texto")
    forma(0.55, "(batch, num_tokens)")

    # embeddings de token y de posición, que se suman
    box(ax, 0.2, 1.5, 3.5, 0.9, f"embedding de token\ntok_emb  ({num(50257)} × 768)", "embedding", fontsize=10.5)
    box(ax, 4.1, 1.5, 3.5, 0.9, "embedding de posición\npos_emb  (1024 × 768)", "embedding", fontsize=10.5)
    arrow(ax, (cx - 0.4, 0.9), (1.95, 1.5))
    ax.text(5.85, 1.2, "posiciones 0, 1, …, num_tokens − 1", ha="center", va="center", fontsize=9.5,
            color="#555555")
    arrow(ax, (5.85, 1.32), (5.85, 1.5))
    plus_y = 2.95
    plus(ax, cx, plus_y)
    arrow(ax, (1.95, 2.4), (cx - 0.2, plus_y - 0.1))
    arrow(ax, (5.85, 2.4), (cx + 0.2, plus_y - 0.1))
    forma(plus_y, "(batch, num_tokens, 768)")

    box(ax, x0, 3.55, w, h, "dropout  ·  drop_emb", "dropout")
    arrow(ax, (cx, plus_y + 0.22), (cx, 3.55))

    # pila de bloques transformer
    for i in (2, 1):
        ax.add_patch(FancyBboxPatch((x0 + 0.12 * i, 4.75 + 0.12 * i), w, 1.5,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor=COLORS["bloque"], edgecolor=EDGE, linewidth=1.0, zorder=1))
    ax.add_patch(FancyBboxPatch((x0, 4.75), w, 1.5, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=COLORS["bloque"], edgecolor=EDGE, linewidth=1.2, zorder=2))
    ax.text(cx, 5.75, "bloque transformer  ·  trf_blocks", ha="center", va="center", fontsize=11,
            fontweight="bold", zorder=3)
    ax.text(cx, 5.25, "atención + feed-forward, con atajos", ha="center", va="center", fontsize=10, zorder=3)
    ax.text(x0 - 0.15, 5.5, "× 12", ha="right", va="center", fontsize=14, fontweight="bold",
            color=COLORS["destacado"])
    arrow(ax, (cx, 3.55 + h), (cx, 4.75))
    forma(5.5, "(batch, num_tokens, 768)\nla forma no cambia")

    box(ax, x0, 6.95, w, h, "LayerNorm final  ·  final_norm", "norma")
    arrow(ax, (cx, 6.49), (cx, 6.95))
    box(ax, x0, 8.05, w, h, f"capa de salida  ·  out_head  (768 → {num(50257)})", "salida", fontsize=10.5)
    arrow(ax, (cx, 6.95 + h), (cx, 8.05))
    box(ax, x0, 9.2, w, h, "logits: una puntuación por token del vocabulario", "salida", fontsize=10)
    arrow(ax, (cx, 8.05 + h), (cx, 9.2))
    forma(9.55, f"(batch, num_tokens, {num(50257)})")
    return fig


FIGURES = {"7_modelo_gpt.png": modelo_gpt}
