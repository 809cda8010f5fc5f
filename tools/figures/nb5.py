"""Figuras del notebook 5: dónde está la atención, un token que mira a los demás, de las medias a los pesos de
atención con máscara y el reparto del embedding entre las cabezas."""

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle

from tools.figures import COLORS, EDGE, arrow, box, new_figure, num, outline, transformer_block_figure

# El ejemplo del capítulo 3 del libro: "Your journey starts with one step", un vector de 3 valores por token.
TOKENS = ["Your", "journey", "starts", "with", "one", "step"]
INPUTS = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                       [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
# Tonos del color de la atención, uno por cabeza (del más claro al más oscuro).
HEAD_SHADES = ["#f4cccc", "#ea9999", "#e06666"]
MASKED = "#dddddd"  # celdas que tapa la máscara causal


def atencion_en_bloque():
    """Devuelve la figura del bloque transformer con la atención multicabeza resaltada."""
    return transformer_block_figure(highlight={"atencion"})


def journey_weights():
    """Devuelve (puntuaciones, pesos, vector de contexto) de «journey» con la atención simplificada del libro."""
    query = INPUTS[1]
    scores = INPUTS @ query  # el producto escalar con cada token
    weights = torch.softmax(scores, dim=0)
    return scores, weights, weights @ INPUTS


SUPERSCRIPTS = str.maketrans("0123456789i", "⁰¹²³⁴⁵⁶⁷⁸⁹ⁱ")


def _x(index):
    """Escribe x con su índice arriba y entre paréntesis, como el libro: _x(2) -> "x⁽²⁾"."""
    return f"x⁽{str(index).translate(SUPERSCRIPTS)}⁾"


def _vector(values, decimals=2):
    return "[" + "  ".join(num(float(v), decimals) for v in values) + "]"


def journey_mira():
    """Devuelve la figura de «journey» mirando a los seis tokens: puntuaciones, pesos y vector de contexto."""
    scores, weights, context = journey_weights()
    fig, ax = new_figure(10.4, 5.6)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    w, h, step, x0 = 1.45, 0.75, 1.65, 0.55
    centers = [x0 + i * step + w / 2 for i in range(len(TOKENS))]
    cz = 5.2
    box(ax, cz - 3.3, 4.55, 6.6, 0.75, f"vector de contexto de «journey»:  z⁽²⁾ = {_vector(context)}", "atencion",
        fontsize=11.5, bold=True)
    for i, (token, cx) in enumerate(zip(TOKENS, centers, strict=True)):
        box(ax, cx - w / 2, 0.55, w, h, f"{token}:  {_x(i + 1)}\n{_vector(INPUTS[i])}", "embedding", fontsize=9.5)
        ax.text(cx, 1.65, num(float(scores[i]), 2), ha="center", va="center", fontsize=10.5)
        ax.text(cx, 2.15, num(float(weights[i]), 2), ha="center", va="center", fontsize=12, fontweight="bold",
                color=COLORS["destacado"])
        arrow(ax, (cx, 2.4), (cz + (cx - cz) * 0.35, 4.5), color=COLORS["destacado"], lw=1 + 14 * float(weights[i]))
    outline(ax, centers[1] - w / 2, 0.55, w, h)
    ax.text(centers[1], 0.33, "la consulta", ha="center", va="center", fontsize=10, fontweight="bold",
            color=COLORS["destacado"])
    ax.text(0.1, 1.65, f"{_x(2)} · {_x('i')}", ha="left", va="center", fontsize=10, color="#555555")
    ax.text(0.1, 2.15, "peso", ha="left", va="center", fontsize=10, color="#555555")
    ax.text(0.1, 0.0, "Puntuación: el producto escalar de «journey» con cada token. Peso: softmax de las puntuaciones "
            "(suman 1).\nz⁽²⁾: la suma de los x⁽ⁱ⁾, cada uno multiplicado por su peso; el grosor de cada flecha es "
            "su peso.", ha="left", va="center", fontsize=9.5, style="italic", color="#555555")
    ax.text(0.1, 5.45, "«journey» mira a los seis tokens, también a sí mismo", ha="left", va="center", fontsize=13,
            fontweight="bold")
    return fig


def medias_y_pesos():
    """Devuelve las tres matrices de la figura: medias a partes iguales, puntuaciones con -inf y pesos."""
    n = len(TOKENS)
    future = torch.triu(torch.ones(n, n), diagonal=1).bool()
    averages = torch.tril(torch.ones(n, n))
    averages = averages / averages.sum(dim=-1, keepdim=True)
    scores = (INPUTS @ INPUTS.T).masked_fill(future, -torch.inf)
    return averages, scores, torch.softmax(scores, dim=-1), future


def _matrix(ax, values, future, title, text_future, vmax):
    """Dibuja una matriz 6 × 6 con sus valores; las celdas futuras, en gris y con text_future."""
    n = len(TOKENS)
    shown = values.masked_fill(future, 0.0)
    ax.imshow(shown.numpy(), cmap="Reds", vmin=0, vmax=vmax)
    for i in range(n):
        for j in range(n):
            if future[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=MASKED, edgecolor="white", hatch="//"))
                ax.text(j, i, text_future, ha="center", va="center", fontsize=10, color="#555555")
            else:
                value = float(values[i, j])
                color = "white" if value > 0.6 * vmax else "black"
                ax.text(j, i, num(value, 2), ha="center", va="center", fontsize=9.5, color=color)
    ax.set_xticks(range(n), TOKENS, rotation=45, ha="right", fontsize=9.5)
    ax.set_yticks(range(n), TOKENS, fontsize=9.5)
    ax.set_title(title, fontsize=11.5, pad=10)


def de_medias_a_atencion():
    """Devuelve la figura de las tres matrices de pesos: medias fijas, puntuaciones tapadas y softmax."""
    averages, scores, weights, future = medias_y_pesos()
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 5.2), dpi=100)
    _matrix(axes[0], averages, future, "1. media a partes iguales\n(pesos fijos)", "0", 1.0)
    _matrix(axes[1], scores, future, "2. puntuaciones x⁽ⁱ⁾ · x⁽ʲ⁾\ncon −∞ encima de la diagonal", "−∞",
            float(scores[~future].max()) * 1.6)
    _matrix(axes[2], weights, future, "3. softmax por filas\n(pesos que dependen de los datos)", "0", 1.0)
    axes[0].set_ylabel("token que mira (fila)", fontsize=10.5)
    for ax in axes:
        ax.set_xlabel("token mirado (columna)", fontsize=10.5)
    fig.text(0.5, 0.01, "En 1 y 3 cada fila suma 1. En las tres, lo que está encima de la diagonal no cuenta: "
             "cada token solo se ve a sí mismo y a los anteriores.",
             ha="center", va="bottom", fontsize=10, style="italic", color="#555555")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _grid(ax, x, y, rows, cols, cell, colors):
    """Dibuja una cuadrícula de rows × cols celdas con su esquina inferior izquierda en (x, y).

    colors(i, j) da el color de la celda de la fila i (contando desde arriba) y la columna j.
    """
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x + j * cell, y + (rows - 1 - i) * cell), cell, cell,
                                   facecolor=colors(i, j), edgecolor=EDGE, linewidth=0.6))


def cabezas():
    """Devuelve la figura del reparto de las columnas de las consultas entre 3 cabezas de head_dim = 2."""
    n, heads, head_dim = 6, 3, 2
    fig, ax = new_figure(10.4, 9.4)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.text(0.2, 9.1, "Las cabezas se reparten las columnas", ha="left", va="center", fontsize=14,
            fontweight="bold")
    ax.text(0.2, 8.72, "ejemplo: num_tokens = 6, d_out = 6, num_heads = 3, head_dim = d_out / num_heads = 2 "
            "(una secuencia del lote)", ha="left", va="center", fontsize=10.5, color="#555555")
    # las consultas, con las columnas de cada cabeza en su tono
    cell, x_q, y_q = 0.36, 4.12, 5.9
    _grid(ax, x_q, y_q, n, heads * head_dim, cell, lambda i, j: HEAD_SHADES[j // head_dim])
    for h in range(heads):
        cx = x_q + (h + 0.5) * head_dim * cell
        ax.text(cx, y_q + n * cell + 0.15, f"cabeza {h + 1}", ha="center", va="bottom", fontsize=9.5)
    for i, token in enumerate(TOKENS):
        ax.text(x_q - 0.1, y_q + (n - 0.5 - i) * cell, token, ha="right", va="center", fontsize=9.5)
    ax.text(x_q + 2.55, y_q + n * cell / 2 + 0.55, "consultas: W_query(x)", ha="left", va="center", fontsize=11,
            fontweight="bold")
    ax.text(x_q + 2.55, y_q + n * cell / 2 + 0.15, "(num_tokens, d_out) = (6, 6)", ha="left", va="center",
            fontsize=10.5)
    # view + transpose: cada cabeza, su matriz
    centers = [1.9, 5.2, 8.5]
    y_h = 3.3
    ax.text(x_q + 2.55, y_q + 0.35, ".view(b, num_tokens, num_heads, head_dim)\n.transpose(1, 2)", ha="left",
            va="center", fontsize=9.5, family="DejaVu Sans Mono", linespacing=1.5,
            bbox={"facecolor": COLORS["texto"], "edgecolor": EDGE, "boxstyle": "round,pad=0.3"})
    for h, cx in enumerate(centers):
        arrow(ax, (x_q + (h + 0.5) * head_dim * cell, y_q - 0.05), (cx, y_h + n * cell + 0.05))
        _grid(ax, cx - head_dim * cell / 2, y_h, n, head_dim, cell, lambda i, j, h=h: HEAD_SHADES[h])
        ax.text(cx + head_dim * cell / 2 + 0.12, y_h + n * cell / 2 + 0.15, f"consultas de\nla cabeza {h + 1}",
                ha="left", va="center", fontsize=9.5)
        ax.text(cx + head_dim * cell / 2 + 0.12, y_h + n * cell / 2 - 0.3, "(6, 2)", ha="left", va="center",
                fontsize=9.5)
    # los pesos de cada cabeza, con la máscara causal
    small, y_w = 0.24, 0.75
    for h, cx in enumerate(centers):
        arrow(ax, (cx, y_h - 0.05), (cx, y_w + n * small + 0.05))
        _grid(ax, cx - n * small / 2, y_w, n, n, small,
              lambda i, j, h=h: MASKED if j > i else HEAD_SHADES[h])
        ax.text(cx + n * small / 2 + 0.12, y_w + n * small / 2, "pesos\n(6, 6)", ha="left", va="center",
                fontsize=9.5)
    ax.text(5.2, y_h - 0.55, "cada cabeza: softmax(consultas · clavesᵀ / √head_dim) con la máscara causal", ha="center",
            va="center", fontsize=10, style="italic", color="#555555", zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
    ax.text(0.2, 0.25, "Las claves y los valores se reparten igual. Después, pesos @ valores de cada cabeza da "
            "head_dim columnas:\njuntas vuelven a formar d_out columnas, y out_proj las mezcla.",
            ha="left", va="center", fontsize=10, style="italic", color="#555555")
    return fig


# El ejemplo del notebook 6: un lote de 2 copias de «Your journey starts with one step», d_in = 3,
# MultiHeadAttention(d_in=3, d_out=2, context_length=6, dropout=0.0, num_heads=2).
EJEMPLO = {"b": 2, "num_tokens": 6, "d_in": 3, "d_out": 2, "num_heads": 2, "head_dim": 1}

# (código, qué hace, forma con nombres, tipo de caja)
PASOS_FORMAS = [
    ("x", "entrada", "(b, num_tokens, d_in)", "embedding"),
    ("W_query(x), W_key(x), W_value(x)", "consultas, claves y valores", "(b, num_tokens, d_out)", "atencion"),
    (".view(b, num_tokens, num_heads, head_dim)", "parte d_out en cabezas", "(b, num_tokens, num_heads, head_dim)",
     "texto"),
    (".transpose(1, 2)", "las cabezas pasan delante", "(b, num_heads, num_tokens, head_dim)", "texto"),
    ("queries @ keys.transpose(2, 3)", "puntuaciones: una matriz por cabeza", "(b, num_heads, num_tokens, num_tokens)",
     "atencion"),
    (".masked_fill_(mask_bool, -inf)", "máscara causal: sin mirar al futuro", "(b, num_heads, num_tokens, num_tokens)",
     "atencion"),
    ("softmax(attn_scores / √head_dim, dim=-1)", "pesos de atención (cada fila suma 1)",
     "(b, num_heads, num_tokens, num_tokens)", "atencion"),
    ("attn_weights @ values", "vectores de contexto de cada cabeza", "(b, num_heads, num_tokens, head_dim)",
     "atencion"),
    (".transpose(1, 2)", "los tokens vuelven delante", "(b, num_tokens, num_heads, head_dim)", "texto"),
    (".contiguous().view(b, num_tokens, d_out)", "concatena las cabezas", "(b, num_tokens, d_out)", "texto"),
    ("out_proj(context_vec)", "mezcla las cabezas", "(b, num_tokens, d_out)", "atencion"),
]


def forma_con_numeros(forma, sizes=EJEMPLO):
    """Sustituye los nombres de una forma por los tamaños del ejemplo: "(b, num_tokens, d_in)" -> "(2, 6, 3)"."""
    names = [name.strip() for name in forma.strip("()").split(",")]
    return "(" + ", ".join(str(sizes[name]) for name in names) + ")"


def formas_atencion():
    """Las formas de los tensores dentro de MultiHeadAttention, con los tamaños del ejemplo del notebook 5."""
    fig, ax = new_figure(10.2, 10.4)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    x_code, w_code, h, step, top = 0.1, 4.3, 0.55, 0.82, 9.0
    ax.text(0.1, 10.1, "Las formas dentro de MultiHeadAttention", ha="left", va="center", fontsize=14,
            fontweight="bold")
    ax.text(0.1, 9.75, "ejemplo del notebook: b = 2, num_tokens = 6, d_in = 3, d_out = 2, num_heads = 2, "
            "head_dim = d_out / num_heads = 1", ha="left", va="center", fontsize=10.5, color="#555555")
    ax.text(x_code + w_code + 0.3, top + 0.35, "forma", ha="left", va="bottom", fontsize=11, fontweight="bold")
    ax.text(10.0, top + 0.35, "en el ejemplo", ha="right", va="bottom", fontsize=11, fontweight="bold")
    for k, (code, what, forma, kind) in enumerate(PASOS_FORMAS):
        y = top - k * step
        box(ax, x_code, y - h, w_code, h, code, kind, fontsize=9.5)
        if k:
            arrow(ax, (x_code + w_code / 2, y + step - h), (x_code + w_code / 2, y))
        ax.text(x_code + w_code + 0.3, y - h / 2 + 0.12, forma, ha="left", va="center", fontsize=10.5)
        ax.text(x_code + w_code + 0.3, y - h / 2 - 0.17, what, ha="left", va="center", fontsize=9.5,
                color="#555555", style="italic")
        ax.text(10.0, y - h / 2 + 0.12, forma_con_numeros(forma), ha="right", va="center", fontsize=11,
                fontweight="bold", color=COLORS["destacado"] if "num_heads" in forma else "#222222")
    ax.text(0.1, top - len(PASOS_FORMAS) * step - 0.1, "En naranja, las formas con una dimensión de cabezas: "
            "cada cabeza trabaja por su cuenta hasta que view las concatena.", ha="left", va="center",
            fontsize=10, style="italic", color="#555555")
    return fig


FIGURES = {
    "5_formas_atencion.png": formas_atencion,
    "5_atencion_en_bloque.png": atencion_en_bloque,
    "5_journey_mira.png": journey_mira,
    "5_de_medias_a_atencion.png": de_medias_a_atencion,
    "5_cabezas.png": cabezas,
}
