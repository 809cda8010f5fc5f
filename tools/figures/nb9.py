"""Figuras del notebook 9: dónde actúa cada ejercicio y el bloque pre-LN frente al post-LN."""

from matplotlib.patches import Circle

from tools.figures import COLORS, EDGE, POST_LN, PRE_LN, arrow, box, frame, new_figure, transformer_block

# Los ejercicios del notebook 9: (número, de qué trata, piezas del modelo que toca). Para añadir uno, añade
# una fila; las piezas son los atributos de GPTModel y TransformerBlock, "siguiente" (el token que se
# elige a partir de los logits) o "modelo" (el modelo entero).
EJERCICIOS = [
    (1, "red feed-forward frente a atención", ["att", "ff"]),
    (2, "el tamaño de GPT-2 medium, large y XL", ["modelo"]),
    (3, "una tasa de dropout para cada sitio", ["drop_emb", "att", "drop_shortcut"]),
    (4, "LayerNorm antes o después (pre-LN / post-LN)", ["norm1", "norm2"]),
    (5, "atención con ventana deslizante", ["att"]),
    (6, "un modelo sin embeddings de posición", ["pos_emb"]),
    (7, "la forma de los pesos de atención", ["att"]),
    (8, "penalizar los tokens ya escritos", ["siguiente"]),
]


def _badge(ax, x, y, number, r=0.21):
    """Dibuja un círculo naranja con el número de un ejercicio."""
    ax.add_patch(Circle((x, y), r, facecolor=COLORS["destacado"], edgecolor=EDGE, linewidth=1.0, zorder=5))
    ax.text(x, y, str(number), ha="center", va="center", fontsize=11.5, fontweight="bold", color="white", zorder=6)


def mapa_ejercicios(ejercicios=EJERCICIOS):
    """El modelo GPT de abajo arriba con el número de cada ejercicio pegado a la pieza que toca (sin líneas
    que se crucen) y, a la derecha, la lista de ejercicios en orden."""
    fig, ax = new_figure(12.3, 11.0)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    cx, w, h = 3.3, 4.0, 0.48
    x = cx - w / 2
    pieces = {}  # atributo -> [(x, y, ancho, alto)]

    def piece(name, bx, by, bw, text, kind):
        box(ax, bx, by, bw, h, text, kind=kind, fontsize=10.5)
        pieces.setdefault(name, []).append((bx, by, bw, h))

    piece("ids", x, 0.2, w, "ids de tokens", "texto")
    arrow(ax, (cx, 0.2 + h), (cx, 0.95))
    piece("tok_emb", x, 0.95, w / 2 - 0.2, "tok_emb", "embedding")
    piece("pos_emb", cx + 0.2, 0.95, w / 2 - 0.2, "pos_emb", "embedding")
    ax.text(cx, 0.95 + h / 2, "+", ha="center", va="center", fontsize=16, fontweight="bold")
    arrow(ax, (cx, 0.95 + h), (cx, 1.7))
    piece("drop_emb", x, 1.7, w, "dropout  ·  drop_emb", "dropout")

    # El bloque transformer, el mismo dibujo que en los notebooks 2 a 6, repetido n_layers veces.
    frame_y = 1.7 + h + 0.12
    block, top = transformer_block(ax, cx, 1.7 + h, width=w - 0.4, box_h=h, gap=0.26, lead=0.5, names=True,
                                   fontsize=10, shortcut_x=x - 0.25, shortcut_label=False)
    for name, rects in block.items():
        pieces.setdefault(name, []).extend(rects)
    frame(ax, x - 0.5, frame_y, w + 2.4, top - frame_y - 0.08)  # ancho para cuatro números junto a una pieza
    ax.text(x + w + 1.8, top - 0.3, "× n_layers", ha="right", va="center", fontsize=10.5, fontweight="bold")

    y = top + 0.3
    arrow(ax, (cx, top), (cx, y))
    piece("final_norm", x, y, w, "LayerNorm final  ·  final_norm", "norma")
    arrow(ax, (cx, y + h), (cx, y + 0.8))
    piece("out_head", x, y + 0.8, w, "capa de salida  ·  out_head", "salida")
    arrow(ax, (cx, y + 0.8 + h), (cx, y + 1.6))
    piece("siguiente", x, y + 1.6, w, "logits → siguiente token", "salida")
    height = y + 1.6 + h + 0.25

    # Los números, pegados a la derecha de cada pieza; el 2 (el modelo entero), en una llave a la izquierda.
    used = {}
    for number, _, targets in ejercicios:
        for target in targets:
            if target == "modelo":
                xl = x - 0.85
                ax.plot([xl + 0.15, xl, xl, xl + 0.15], [0.2, 0.2, height - 0.25, height - 0.25],
                        color=COLORS["destacado"], lw=2)
                _badge(ax, xl, (height - 0.05) / 2, number)
                continue
            for bx, by, bw, bh in pieces[target]:
                k = used.get((bx, by), 0)
                used[(bx, by)] = k + 1
                _badge(ax, bx + bw + 0.3 + 0.5 * k, by + bh / 2, number)

    # La lista, en orden.
    lx, ly = 7.95, height / 2 + 0.31 * len(ejercicios)
    ax.text(lx - 0.25, ly + 0.1, "Ejercicios", ha="left", va="bottom", fontsize=13, fontweight="bold")
    for k, (number, text, _) in enumerate(ejercicios):
        yy = ly - 0.5 - k * 0.62
        _badge(ax, lx, yy, number)
        ax.text(lx + 0.35, yy, text, ha="left", va="center", fontsize=10.5, wrap=True)
    ax.set_ylim(0, height)
    fig.set_size_inches(12.3, height)
    return fig


def pre_vs_post_ln():
    """Bloque pre-LN (GPT-2, el de TransformerBlock) y post-LN (el transformer de 2017), lado a lado, con el
    mismo dibujo de bloque que el resto de figuras."""
    fig, ax = new_figure(10.0, 8.4)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    for cx, title, steps in [(2.8, "pre-LN (GPT-2)", PRE_LN), (7.6, "post-LN (transformer de 2017)", POST_LN)]:
        box(ax, cx - 1.5, 0.2, 3.0, 0.5, "entrada x", kind="texto")
        _, top = transformer_block(ax, cx, 0.7, steps=steps, width=3.2, box_h=0.5, gap=0.25, lead=0.4,
                                   highlight={"atajo"}, fontsize=10.5, shortcut_label=False)
        ax.text(cx, top + 0.15, "salida", ha="center", va="bottom", fontsize=11)
        ax.text(cx, top + 0.65, title, ha="center", va="bottom", fontsize=13, fontweight="bold")
    ax.text(5.0, -0.1, "naranja: conexión de atajo", ha="center", va="center", fontsize=10,
            color=COLORS["destacado"])
    ax.set_ylim(-0.4, 8.4)
    return fig


FIGURES = {
    "9_mapa_ejercicios.png": mapa_ejercicios,
    "9_pre_vs_post_ln.png": pre_vs_post_ln,
}
