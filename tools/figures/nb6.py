"""Figuras del notebook 6: la atención multicabeza causal, las formas de sus tensores y el bloque transformer."""

from tools.figures import COLORS, arrow, box, frame, new_figure, transformer_block_figure


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
    frame(ax, 0.2, 4.05, 9.2, 2.05, kind="texto")
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
    """Devuelve la figura del bloque transformer de GPT-2 con el nombre de cada atributo de TransformerBlock."""
    return transformer_block_figure(names=True)


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
    """Las formas de los tensores dentro de MultiHeadAttention, con los tamaños del ejemplo del notebook 6."""
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
    "6_atencion_multicabeza.png": atencion_multicabeza,
    "6_bloque_transformer.png": bloque_transformer,
    "6_formas_atencion.png": formas_atencion,
}
