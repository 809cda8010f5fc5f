"""Figuras del notebook 2: la normalización de capa en el bloque y frente a la normalización por lotes."""

from matplotlib.patches import Rectangle

from tools.figures import COLORS, EDGE, arrow, new_figure, transformer_block_figure


def layernorm_en_bloque():
    """Bloque transformer con sus dos LayerNorm resaltadas."""
    return transformer_block_figure({"norma"})


# --- Normalización de capa frente a normalización por lotes ------------------------------------


def _grid(ax, x0, y0, rows, cols, cell, pick_row=None, pick_col=None):
    """Dibuja una tabla rows×cols de celdas; resalta una fila o una columna."""
    for r in range(rows):
        for c in range(cols):
            chosen = r == pick_row or c == pick_col
            ax.add_patch(Rectangle((x0 + c * cell, y0 + (rows - 1 - r) * cell), cell, cell,
                                   facecolor=COLORS["destacado"] if chosen else COLORS["embedding"],
                                   edgecolor="white", linewidth=2))


def capa_vs_lote():
    """Dos tablas (tokens del lote × características): la normalización de capa recorre una fila (un
    token); la de lotes, una columna (una característica en todos los tokens del lote)."""
    fig, ax = new_figure(11.0, 5.6)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    rows, cols, cell = 4, 6, 0.62
    for i, (title, pick_row, pick_col, note) in enumerate([
        ("Normalización de capa (LayerNorm)", 1, None,
         "media y varianza de cada fila:\nlos emb_dim valores de un token"),
        ("Normalización por lotes (BatchNorm)", None, 2,
         "media y varianza de cada columna:\nuna característica en todos los tokens"),
    ]):
        x0 = 1.3 + i * 5.6
        y0 = 1.55
        _grid(ax, x0, y0, rows, cols, cell, pick_row, pick_col)
        width, height = cols * cell, rows * cell
        ax.text(x0 + width / 2, y0 + height + 0.75, title, ha="center", va="center", fontsize=15,
                fontweight="bold")
        # Ejes: características hacia la derecha, un token del lote por fila
        arrow(ax, (x0, y0 + height + 0.2), (x0 + width, y0 + height + 0.2), lw=1.2)
        ax.text(x0 + width / 2, y0 + height + 0.36, "características (emb_dim)", ha="center", va="bottom",
                fontsize=13)
        arrow(ax, (x0 - 0.2, y0 + height), (x0 - 0.2, y0), lw=1.2)
        ax.text(x0 - 0.35, y0 + height / 2, "tokens del lote", ha="right", va="center", fontsize=13,
                rotation=90)
        if pick_row is not None:  # flecha a lo largo de la fila elegida
            y = y0 + (rows - 1 - pick_row) * cell + cell / 2
            arrow(ax, (x0 + 0.1, y), (x0 + width - 0.1, y), color=EDGE, lw=2.2, style="<|-|>")
        else:  # flecha a lo largo de la columna elegida
            x = x0 + pick_col * cell + cell / 2
            arrow(ax, (x, y0 + height - 0.1), (x, y0 + 0.1), color=EDGE, lw=2.2, style="<|-|>")
        ax.text(x0 + width / 2, y0 - 0.7, note, ha="center", va="center", fontsize=13)
    ax.text(5.5, 0.2, "LayerNorm no depende de los demás tokens ni textos del lote: por eso la usa GPT.",
            ha="center", va="center", fontsize=13, style="italic")
    return fig


FIGURES = {
    "2_capa_vs_lote.png": capa_vs_lote,
    "2_layernorm_en_bloque.png": layernorm_en_bloque,
}
