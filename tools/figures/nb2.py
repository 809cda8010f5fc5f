"""Figuras del notebook 2 (normalización de capa) y el dibujo del bloque transformer que reutilizan el 3 y el 4."""

from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from tools.figures import COLORS, EDGE, arrow, box, new_figure

# --- El bloque transformer, con la pieza de cada notebook resaltada -----------------------------

_CX = 4.3  # centro horizontal de la columna principal
_BW, _BH = 3.4, 0.62  # ancho y alto de cada caja del bloque


def _outline(ax, x, y, w, h):
    """Rodea una caja con un borde grueso del color destacado."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.06,rounding_size=0.1",
                                facecolor="none", edgecolor=COLORS["destacado"], linewidth=3.2))


def _plus(ax, y, highlighted):
    """Dibuja el círculo ⊕ de la suma del atajo centrado en (_CX, y)."""
    color = COLORS["destacado"] if highlighted else EDGE
    ax.add_patch(Circle((_CX, y), 0.24, facecolor="white", edgecolor=color, linewidth=2.4 if highlighted else 1.4))
    ax.text(_CX, y - 0.01, "+", ha="center", va="center", fontsize=17, color=color, fontweight="bold")


def _shortcut(ax, y_from, y_to, highlighted):
    """Dibuja un atajo que sale de la columna en y_from, sube por la izquierda y entra en el ⊕ de y_to."""
    color = COLORS["destacado"] if highlighted else EDGE
    lw = 2.8 if highlighted else 1.4
    x_left = 1.3
    ax.plot([_CX, x_left, x_left], [y_from, y_from, y_to], color=color, linewidth=lw, solid_capstyle="round")
    arrow(ax, (x_left, y_to), (_CX - 0.25, y_to), color=color, lw=lw)
    ax.plot([_CX], [y_from], marker="o", markersize=6, color=color)


def draw_transformer_block(highlight=()):
    """Devuelve la figura del bloque transformer de GPT-2 con las piezas de `highlight` resaltadas.

    Parámetros:
        highlight: conjunto con "norma", "feedforward" y/o "atajo".

    Devuelve:
        una figura de matplotlib.
    """
    fig, ax = new_figure(8.2, 10.0)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    x0 = _CX - _BW / 2

    # Marco del bloque (se repite 12 veces en GPT-2 de 124M)
    ax.add_patch(Rectangle((0.3, 0.85), 7.6, 8.45, facecolor=COLORS["bloque"], edgecolor=EDGE,
                           linewidth=1.2, linestyle="--", zorder=0))
    ax.text(7.75, 0.95, "Bloque transformer\n(×12 en GPT-2 124M)", ha="right", va="bottom", fontsize=11,
            fontweight="bold")

    box(ax, _CX - 2.3, 0.1, 4.6, 0.55, "Entrada (batch, num_tokens, emb_dim)", "texto", fontsize=11)
    layers = [  # (y, texto, tipo)
        (1.5, "LayerNorm 1", "norma"),
        (2.45, "Atención multicabeza", "atencion"),
        (3.4, "Dropout", "dropout"),
        (5.3, "LayerNorm 2", "norma"),
        (6.25, "Red feed-forward", "feedforward"),
        (7.2, "Dropout", "dropout"),
    ]
    for y, text, kind in layers:
        box(ax, x0, y, _BW, _BH, text, kind, fontsize=12)
        if kind in highlight:
            _outline(ax, x0, y, _BW, _BH)

    atajo = "atajo" in highlight
    plus1, plus2 = 4.45, 8.85
    _plus(ax, plus1, atajo)
    _plus(ax, plus2, atajo)
    box(ax, _CX - 2.3, 9.4, 4.6, 0.55, "Salida (misma forma)", "texto", fontsize=11)

    # Flujo principal, de abajo arriba
    stops = [(0.65, 1.5), (1.5 + _BH, 2.45), (2.45 + _BH, 3.4), (3.4 + _BH, plus1 - 0.24),
             (plus1 + 0.24, 5.3), (5.3 + _BH, 6.25), (6.25 + _BH, 7.2), (7.2 + _BH, plus2 - 0.24),
             (plus2 + 0.24, 9.4)]
    for y_from, y_to in stops:
        arrow(ax, (_CX, y_from), (_CX, y_to))

    _shortcut(ax, 1.05, plus1, atajo)
    _shortcut(ax, 4.95, plus2, atajo)
    ax.text(1.15, (1.05 + plus1) / 2, "atajo", rotation=90, ha="right", va="center", fontsize=11,
            color=COLORS["destacado"] if atajo else EDGE, fontweight="bold" if atajo else "normal")
    ax.text(1.15, (4.95 + plus2) / 2, "atajo", rotation=90, ha="right", va="center", fontsize=11,
            color=COLORS["destacado"] if atajo else EDGE, fontweight="bold" if atajo else "normal")

    if atajo:  # cada suma devuelve la entrada más lo que calcula la subcapa
        for y in (plus1, plus2):
            ax.text(_CX + 0.4, y, "x + f(x)", ha="left", va="center", fontsize=13,
                    color=COLORS["destacado"], fontweight="bold")
    return fig


def layernorm_en_bloque():
    """Bloque transformer con sus dos LayerNorm resaltadas."""
    return draw_transformer_block({"norma"})


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
    """Dos tablas (lote × emb_dim): la normalización de capa recorre una fila; la de lotes, una columna."""
    fig, ax = new_figure(11.0, 5.6)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    rows, cols, cell = 4, 6, 0.62
    for i, (title, pick_row, pick_col, note) in enumerate([
        ("Normalización de capa (LayerNorm)", 1, None,
         "media y varianza de cada fila:\nlos emb_dim valores de un token"),
        ("Normalización por lotes (BatchNorm)", None, 2,
         "media y varianza de cada columna:\nuna característica a lo largo del lote"),
    ]):
        x0 = 1.3 + i * 5.6
        y0 = 1.55
        _grid(ax, x0, y0, rows, cols, cell, pick_row, pick_col)
        width, height = cols * cell, rows * cell
        ax.text(x0 + width / 2, y0 + height + 0.75, title, ha="center", va="center", fontsize=15,
                fontweight="bold")
        # Ejes: características hacia la derecha, ejemplos del lote hacia abajo
        arrow(ax, (x0, y0 + height + 0.2), (x0 + width, y0 + height + 0.2), lw=1.2)
        ax.text(x0 + width / 2, y0 + height + 0.36, "emb_dim (características)", ha="center", va="bottom",
                fontsize=13)
        arrow(ax, (x0 - 0.2, y0 + height), (x0 - 0.2, y0), lw=1.2)
        ax.text(x0 - 0.35, y0 + height / 2, "lote", ha="right", va="center", fontsize=13, rotation=90)
        if pick_row is not None:  # flecha a lo largo de la fila elegida
            y = y0 + (rows - 1 - pick_row) * cell + cell / 2
            arrow(ax, (x0 + 0.1, y), (x0 + width - 0.1, y), color=EDGE, lw=2.2, style="<|-|>")
        else:  # flecha a lo largo de la columna elegida
            x = x0 + pick_col * cell + cell / 2
            arrow(ax, (x, y0 + height - 0.1), (x, y0 + 0.1), color=EDGE, lw=2.2, style="<|-|>")
        ax.text(x0 + width / 2, y0 - 0.7, note, ha="center", va="center", fontsize=13)
    ax.text(5.5, 0.2, "LayerNorm no depende de los demás ejemplos del lote: por eso la usa GPT.",
            ha="center", va="center", fontsize=13, style="italic")
    return fig


FIGURES = {
    "2_capa_vs_lote.png": capa_vs_lote,
    "2_layernorm_en_bloque.png": layernorm_en_bloque,
}
