"""Figuras del curso, dibujadas con matplotlib. Regenéralas todas con: python -m tools.figures

Cada módulo de este paquete (uno por notebook: nb1.py, nb2.py, ...) define FIGURES, un diccionario
{nombre del PNG en imgs/: función que devuelve una figura de matplotlib}. Todas comparten los colores
y las piezas de dibujo de este fichero, para que un mismo tipo de componente se vea igual en todas.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

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
