"""Figuras del notebook 8: dónde actúa cada ejercicio y el bloque pre-LN frente al post-LN."""

from matplotlib.patches import Circle, FancyBboxPatch

from tools.figures import COLORS, EDGE, arrow, box, new_figure


def _badge(ax, x, y, number):
    """Dibuja un círculo naranja con el número de un ejercicio."""
    ax.add_patch(Circle((x, y), 0.24, facecolor=COLORS["destacado"], edgecolor=EDGE, linewidth=1.0))
    ax.text(x, y, str(number), ha="center", va="center", fontsize=12, fontweight="bold", color="white")


def mapa_ejercicios():
    """El modelo GPT de abajo arriba, con el número de cada ejercicio junto a la pieza que toca."""
    fig, ax = new_figure(10.0, 9.4)
    cx, w, h = 3.2, 4.4, 0.55
    x = cx - w / 2

    def label(y, number, text):
        _badge(ax, 6.25, y, number)
        ax.text(6.65, y, text, ha="left", va="center", fontsize=11)

    box(ax, x, 0.2, w, h, "ids de tokens", kind="texto")
    arrow(ax, (cx, 0.2 + h), (cx, 1.05))
    box(ax, x, 1.05, w / 2 - 0.2, h, "tok_emb", kind="embedding")
    box(ax, cx + 0.2, 1.05, w / 2 - 0.2, h, "pos_emb", kind="embedding")
    ax.text(cx, 1.05 + h / 2, "+", ha="center", va="center", fontsize=16, fontweight="bold")
    label(1.05 + h / 2, 6, "¿y sin embeddings de posición?")
    arrow(ax, (cx, 1.05 + h), (cx, 1.9))
    box(ax, x, 1.9, w, h, "dropout (drop_emb)", kind="dropout")
    label(1.9 + h / 2, 3, "una tasa de dropout para cada sitio")

    # Bloque transformer, repetido n_layers veces.
    ax.add_patch(FancyBboxPatch((x - 0.35, 2.75), w + 0.7, 4.3, boxstyle="round,pad=0.02,rounding_size=0.15",
                                facecolor=COLORS["bloque"], edgecolor=EDGE, linewidth=1.2))
    ax.text(x + w + 0.25, 6.8, "bloque × n_layers", ha="right", va="center", fontsize=11, fontweight="bold")
    arrow(ax, (cx, 1.9 + h), (cx, 3.0))
    rows = [
        (3.0, "LayerNorm (norm1)", "norma"),
        (3.7, "atención multicabeza (att)", "atencion"),
        (4.4, "LayerNorm (norm2)", "norma"),
        (5.1, "feed-forward (ff), con GELU", "feedforward"),
        (5.8, "dropout (drop_shortcut) y atajo", "dropout"),
    ]
    for k, (y, text, kind) in enumerate(rows):
        box(ax, x, y, w, h, text, kind=kind)
        if k < len(rows) - 1:
            arrow(ax, (cx, y + h), (cx, rows[k + 1][0]))
    label(3.7 + h / 2, 1, "parámetros de att frente a ff")
    ax.plot([x + w + 0.05, 6.0], [3.7 + h / 2, 3.7 + h / 2], color=COLORS["destacado"], lw=1.2, ls=":")
    ax.plot([x + w + 0.05, 6.0], [5.1 + h / 2, 3.7 + h / 2], color=COLORS["destacado"], lw=1.2, ls=":")
    label(5.1 + h / 2, 5, "GELU exacta frente a la aproximada")
    label(3.0 + h / 2, 4, "LayerNorm antes o después (pre-LN / post-LN)")
    ax.plot([x + w + 0.05, 6.0], [3.0 + h / 2, 3.0 + h / 2], color=COLORS["destacado"], lw=1.2, ls=":")
    ax.plot([x + w + 0.05, 6.0], [4.4 + h / 2, 3.0 + h / 2], color=COLORS["destacado"], lw=1.2, ls=":")

    arrow(ax, (cx, 5.8 + h), (cx, 7.35))
    box(ax, x, 7.35, w, h, "LayerNorm final", kind="norma")
    arrow(ax, (cx, 7.35 + h), (cx, 8.15))
    box(ax, x, 8.15, w, h, "capa de salida (out_head)", kind="salida")
    label(6.2, 2, "tamaño de GPT-2 medium, large y XL")
    ax.plot([x + w + 0.35, 6.0], [6.2, 6.2], color=COLORS["destacado"], lw=1.2, ls=":")
    ax.plot([x + w + 0.05, 6.0], [8.15 + h / 2, 6.2], color=COLORS["destacado"], lw=1.2, ls=":")
    ax.set_xlim(0, 13.2)
    return fig


def _block_column(ax, x0, title, order):
    """Dibuja un bloque de abajo arriba; order lista (texto, tipo), "split" marca dónde sale el atajo
    y "+" dónde se suma."""
    w, h, cx = 3.4, 0.55, x0 + 1.9
    ax.text(cx, 7.3, title, ha="center", va="center", fontsize=13, fontweight="bold")
    y = 0.3
    box(ax, cx - w / 2, y, w, h, "entrada x", kind="texto")
    prev_top = y + h
    y += 0.95
    shortcut_from = prev_top
    for text, kind in order:
        if text == "split":  # aquí se separa el atajo del camino de la subcapa
            shortcut_from = prev_top + 0.15
        elif text == "+":
            ax.add_patch(Circle((cx, y + 0.22), 0.22, facecolor="white", edgecolor=EDGE, linewidth=1.2))
            ax.text(cx, y + 0.22, "+", ha="center", va="center", fontsize=14, fontweight="bold")
            arrow(ax, (cx, prev_top), (cx, y))
            # el atajo: sale por la izquierda de la entrada de la subcapa y entra en la suma
            xl = cx - w / 2 - 0.35
            ax.plot([cx, xl, xl], [shortcut_from, shortcut_from, y + 0.22], color=COLORS["destacado"], lw=2)
            arrow(ax, (xl, y + 0.22), (cx - 0.22, y + 0.22), color=COLORS["destacado"], lw=2)
            prev_top = y + 0.44
            y += 0.75
        else:
            arrow(ax, (cx, prev_top), (cx, y))
            box(ax, cx - w / 2, y, w, h, text, kind=kind, fontsize=10.5)
            prev_top = y + h
            y += 0.85
    arrow(ax, (cx, prev_top), (cx, prev_top + 0.4))
    ax.text(cx, prev_top + 0.6, "salida", ha="center", va="center", fontsize=11)


def pre_vs_post_ln():
    """Bloque pre-LN (GPT-2, el de TransformerBlock) y post-LN (el transformer de 2017), lado a lado."""
    fig, ax = new_figure(10.0, 7.6)
    split = ("split", None)
    pre = [split, ("LayerNorm (norm1)", "norma"), ("atención (att)", "atencion"), ("+", None),
           split, ("LayerNorm (norm2)", "norma"), ("feed-forward (ff)", "feedforward"), ("+", None)]
    post = [split, ("atención (att)", "atencion"), ("+", None), ("LayerNorm (norm1)", "norma"),
            split, ("feed-forward (ff)", "feedforward"), ("+", None), ("LayerNorm (norm2)", "norma")]
    _block_column(ax, 0.4, "pre-LN (GPT-2)", pre)
    _block_column(ax, 5.6, "post-LN (transformer de 2017)", post)
    ax.text(4.85, -0.15, "naranja: conexión de atajo (se omite el dropout)", ha="center", va="center",
            fontsize=10, color=COLORS["destacado"])
    ax.set_ylim(-0.4, 7.6)
    return fig


FIGURES = {
    "8_mapa_ejercicios.png": mapa_ejercicios,
    "8_pre_vs_post_ln.png": pre_vs_post_ln,
}
