"""Figuras del curso, dibujadas con matplotlib. Regenéralas todas con: python -m tools.figures

Cada módulo de este paquete (uno por notebook: nb1.py, nb2.py, ...) define FIGURES, un diccionario
{nombre del PNG en imgs/: función que devuelve una figura de matplotlib}. Todas comparten los colores
y las piezas de dibujo de este fichero, para que un mismo tipo de componente se vea igual en todas: cajas
y flechas (box, arrow), el «+» de los atajos (plus), marcos y contornos (frame, outline), los números como
en el texto (num: 50 257, 0,61) y el bloque transformer (transformer_block y transformer_block_figure),
dibujado siempre por la misma función en los notebooks 1 a 4, 6 y 9.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

# Un color por tipo de componente, el mismo en todas las figuras.
COLORS = {
    "texto": "#f2f2f2",        # texto y tokens
    "embedding": "#cfe2f3",    # embeddings de tokens y de posición
    "atencion": "#f4cccc",     # atención multicabeza
    "feedforward": "#d9ead3",  # red feed-forward y GELU
    "norma": "#fff2cc",        # LayerNorm
    "dropout": "#e6e6e6",      # dropout
    "salida": "#d9d2e9",       # capa de salida y logits
    "bloque": "#fbe5d6",       # bloque transformer (marco)
    "destacado": "#e69138",    # lo que la figura quiere señalar
}
EDGE = "#444444"
FONT = {"family": "DejaVu Sans", "size": 11}
DPI = 100  # con figsize de 7-10 pulgadas, las figuras miden 700-1000 px de ancho


def new_figure(width=9.0, height=5.0):
    """Devuelve (fig, ax) con ejes ocultos y coordenadas de 0 a width y de 0 a height."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, x, y, w, h, text, kind="texto", fontsize=11, bold=False):
    """Dibuja una caja redondeada con su esquina inferior izquierda en (x, y) y un texto centrado."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=COLORS[kind], edgecolor=EDGE, linewidth=1.2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize,
            fontweight="bold" if bold else "normal", family=FONT["family"])


def arrow(ax, start, end, color=EDGE, style="-|>", lw=1.4, connectionstyle="arc3"):
    """Dibuja una flecha de start a end (tuplas (x, y))."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, color=color,
                                 linewidth=lw, connectionstyle=connectionstyle))


def save(fig, path):
    """Guarda la figura como PNG con fondo blanco y la cierra."""
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white", metadata={"Software": None})
    plt.close(fig)


def num(value, decimals=None):
    """Escribe un número como en el texto del curso: miles separados por un espacio y coma decimal.

    num(50257) -> "50 257"; num(0.6083, 2) -> "0,61"; num(-0.17, 2) -> "−0,17" (signo menos tipográfico);
    sin decimales, un float va con los que necesite: num(-2.0) -> "−2", num(0.5) -> "0,5".
    Los números de cuatro cifras (1024, 3072) van sin espacio, como en la prosa.
    """
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    else:
        text = f"{value:,d}" if isinstance(value, int) else f"{value:,g}"
    whole = text.split(".")[0].lstrip("-")
    if len(whole.replace(",", "")) <= 4:
        text = text.replace(",", "")
    return text.replace(",", " ").replace(".", ",").replace("-", "\u2212")


def plus(ax, x, y, r=0.22, color=EDGE, lw=1.4, fontsize=15):
    """Dibuja el círculo con «+» de la suma de una conexión de atajo, centrado en (x, y)."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=color, linewidth=lw, zorder=3))
    ax.text(x, y, "+", ha="center", va="center", fontsize=fontsize, fontweight="bold", color=color, zorder=4)


def frame(ax, x, y, w, h, kind="bloque", dashed=False, lw=1.2):
    """Dibuja un marco redondeado de fondo, detrás de las cajas (kind=None: fondo blanco)."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                facecolor=COLORS[kind] if kind else "white", edgecolor=EDGE, linewidth=lw,
                                linestyle="--" if dashed else "-", zorder=0))


def outline(ax, x, y, w, h, label=None, fontsize=10):
    """Rodea una caja con un borde grueso del color destacado y, si se pide, pone una etiqueta encima."""
    ax.add_patch(FancyBboxPatch((x - 0.06, y - 0.06), w + 0.12, h + 0.12,
                                boxstyle="round,pad=0.02,rounding_size=0.1", facecolor="none",
                                edgecolor=COLORS["destacado"], linewidth=3, zorder=2))
    if label:
        ax.text(x + w / 2, y + h + 0.12, label, ha="center", va="bottom", fontsize=fontsize,
                color=COLORS["destacado"], fontweight="bold")


# --- El bloque transformer: un solo dibujo para todas las figuras que lo muestran ------------------

# Cada paso, de abajo arriba: "atajo" (de aquí sale un atajo), "+" (aquí se suma) o
# (texto, atributo de TransformerBlock, tipo de componente).
PRE_LN = [
    "atajo", ("LayerNorm 1", "norm1", "norma"), ("atención multicabeza", "att", "atencion"),
    ("dropout", "drop_shortcut", "dropout"), "+",
    "atajo", ("LayerNorm 2", "norm2", "norma"), ("red feed-forward", "ff", "feedforward"),
    ("dropout", "drop_shortcut", "dropout"), "+",
]
# El transformer de 2017 (post-LN): la LayerNorm va después de cada suma.
POST_LN = [
    "atajo", ("atención multicabeza", "att", "atencion"), ("dropout", "drop_shortcut", "dropout"), "+",
    ("LayerNorm 1", "norm1", "norma"),
    "atajo", ("red feed-forward", "ff", "feedforward"), ("dropout", "drop_shortcut", "dropout"), "+",
    ("LayerNorm 2", "norm2", "norma"),
]


def transformer_block(ax, cx, y, steps=PRE_LN, width=3.4, box_h=0.55, gap=0.3, lead=None, highlight=(),
                      names=False, fontsize=11, shortcut_x=None, shortcut_label=True):
    """Dibuja el bloque transformer de abajo arriba, empezando en y, con sus atajos por la izquierda.

    Parámetros:
        ax: ejes donde dibujar; cx: centro horizontal de la columna; y: altura donde entra la flecha.
        steps: PRE_LN (GPT-2, el de TransformerBlock) o POST_LN.
        highlight: tipos de componente ("norma", "feedforward", ...) o "atajo" que se resaltan.
        gap: espacio entre pasos; lead: el del primer tramo, donde sale el primer atajo (por defecto, gap).
        names: si se añade a cada caja el nombre de su atributo (« · norm1»).
        shortcut_x: x de la línea vertical de los atajos (por defecto, a la izquierda de las cajas).

    Devuelve:
        (cajas, y_final): cajas es {atributo: [(x, y, ancho, alto), ...]} y y_final la altura de la salida.
    """
    x0 = cx - width / 2
    sx = x0 - 0.4 if shortcut_x is None else shortcut_x
    hot = "atajo" in highlight
    color, lw = (COLORS["destacado"], 2.6) if hot else (EDGE, 1.4)
    boxes, prev, start = {}, y, y
    y += gap if lead is None else lead
    for step in steps:
        if step == "atajo":  # el atajo se separa aquí del camino principal
            start = prev + (y - prev) / 2
            ax.plot([cx], [start], marker="o", markersize=5, color=color, zorder=3)
        elif step == "+":
            r = 0.22
            arrow(ax, (cx, prev), (cx, y))
            plus(ax, cx, y + r, r=r, color=color, lw=lw)
            ax.plot([cx, sx, sx], [start, start, y + r], color=color, linewidth=lw, zorder=1)
            arrow(ax, (sx, y + r), (cx - r, y + r), color=color, lw=lw)
            if shortcut_label:
                ax.text(sx - 0.08, (start + y + r) / 2, "atajo", rotation=90, ha="right", va="center",
                        fontsize=fontsize - 1, color=color, fontweight="bold" if hot else "normal")
            if hot:
                ax.text(cx + r + 0.15, y + r, "x + f(x)", ha="left", va="center", fontsize=fontsize + 1,
                        color=color, fontweight="bold")
            prev = y + 2 * r
            y = prev + gap
        else:
            text, attr, kind = step
            arrow(ax, (cx, prev), (cx, y))
            box(ax, x0, y, width, box_h, f"{text}  ·  {attr}" if names else text, kind, fontsize=fontsize)
            if kind in highlight:
                outline(ax, x0, y, width, box_h)
            boxes.setdefault(attr, []).append((x0, y, width, box_h))
            prev = y + box_h
            y = prev + gap
    arrow(ax, (cx, prev), (cx, prev + gap))
    return boxes, prev + gap


def transformer_block_figure(highlight=(), names=False):
    """Devuelve la figura del bloque transformer de GPT-2 (pre-LN), con las piezas de `highlight` resaltadas.

    Parámetros:
        highlight: conjunto con "norma", "feedforward" y/o "atajo".
        names: si cada caja lleva el nombre de su atributo en TransformerBlock (norm1, att, ...).
    """
    fig, ax = new_figure(8.2, 9.3)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    cx = 4.6
    box(ax, cx - 2.5, 0.1, 5.0, 0.55, "entrada  (batch, num_tokens, emb_dim)", "texto")
    _, top = transformer_block(ax, cx, 0.65, width=4.0 if names else 3.4, box_h=0.62, gap=0.33, lead=0.45,
                               highlight=highlight, names=names, fontsize=11 if names else 12)
    frame(ax, 0.3, 0.8, 7.6, top - 0.95, dashed=True)
    ax.text(7.45, (top + 0.8) / 2, "bloque transformer  ×  n_layers (12 en GPT-2 de 124M)", rotation=90,
            ha="center", va="center", fontsize=11, fontweight="bold")
    box(ax, cx - 2.5, top, 5.0, 0.55, "salida  (misma forma)", "texto")
    return fig
