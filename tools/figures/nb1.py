"""Figuras del notebook 1: las etapas de un LLM, la arquitectura GPT y el camino del texto a los logits."""

from matplotlib.colors import hsv_to_rgb, rgb_to_hsv, to_rgb
from matplotlib.patches import FancyBboxPatch

from tools.figures import COLORS, EDGE, arrow, box, frame, new_figure, num, outline, transformer_block


def _vector(ax, x, y, values, cell=0.22, kind="embedding"):
    """Dibuja un vector como una fila de celdas: más oscura cuanto mayor es el valor (entre -1 y 1)."""
    light = to_rgb(COLORS[kind])
    hue, sat, _ = rgb_to_hsv(light)
    dark = tuple(hsv_to_rgb((hue, min(1.0, 4 * sat), 0.75)))  # el mismo tono, más intenso
    for i, v in enumerate(values):
        t = (v + 1) / 2
        color = tuple((1 - t) * a + t * b for a, b in zip(light, dark, strict=True))
        ax.add_patch(FancyBboxPatch((x + i * cell, y), cell, cell, boxstyle="square,pad=0",
                                    facecolor=color, edgecolor=EDGE, linewidth=0.6))


def etapas_llm():
    """Tres etapas para tener un LLM útil: el curso construye la atención y la arquitectura (etapa 1) y, en el
    notebook 10, prueba en pequeño el entrenamiento y la evaluación de la etapa 2."""
    fig, ax = new_figure(11.0, 5.4)
    stages = [
        ("1. Construir el LLM", ["Preparar los datos\ny tomar lotes", "Mecanismo de atención",
                                 "Arquitectura del LLM"]),
        ("2. Preentrenar", ["Bucle de entrenamiento", "Evaluar el modelo", "Cargar pesos\npreentrenados"]),
        ("3. Ajuste fino", ["Clasificador\nde textos", "Asistente que\nsigue instrucciones"]),
    ]
    col_w, gap, x0 = 3.2, 0.55, 0.2
    for s, (title, steps) in enumerate(stages):
        x = x0 + s * (col_w + gap)
        frame(ax, x, 0.7, col_w, 3.8, kind=None)
        ax.text(x + col_w / 2, 4.15, title, ha="center", va="center", fontsize=13, fontweight="bold")
        for k, step in enumerate(steps):
            y = 3.05 - k * 1.1
            box(ax, x + 0.25, y, col_w - 0.5, 0.8, step, kind="texto", fontsize=11)
            if s == 0 and k in (1, 2):  # la atención (notebook 5) y la arquitectura (notebooks 1-4 y 6-8)
                outline(ax, x + 0.25, y, col_w - 0.5, 0.8)
            if s == 1 and k in (0, 1):  # el notebook 10 entrena y evalúa un GPT pequeño
                outline(ax, x + 0.25, y, col_w - 0.5, 0.8)
        if s == 0:
            ax.text(x + col_w / 2, 0.3, "este curso: notebooks 1-8", ha="center", va="center",
                    fontsize=11, color=COLORS["destacado"], fontweight="bold")
        if s == 1:
            ax.text(x + col_w / 2, 0.3, "en pequeño: notebook 10", ha="center", va="center",
                    fontsize=11, color=COLORS["destacado"], fontweight="bold")
        if s < len(stages) - 1:
            arrow(ax, (x + col_w + 0.05, 2.6), (x + col_w + gap - 0.05, 2.6), lw=2)
    ax.text(x0, 5.0, "Etapas para obtener un LLM útil", ha="left", va="center", fontsize=14,
            fontweight="bold")
    return fig


def arquitectura_gpt():
    """El modelo GPT de abajo arriba, con el notebook que construye cada pieza a la derecha."""
    fig, ax = new_figure(9.0, 12.6)
    cx, w = 3.6, 4.2  # centro y ancho de la columna principal
    x = cx - w / 2
    h = 0.62

    def note(y, text):
        ax.text(8.85, y, text, ha="right", va="center", fontsize=10.5, color="#555555", style="italic")

    # De abajo arriba: entrada, embeddings y dropout.
    box(ax, x, 0.2, w, h, "ids de tokens  (batch, num_tokens)", kind="texto")
    arrow(ax, (cx, 0.2 + h), (cx, 1.15))
    box(ax, x, 1.15, w / 2 - 0.2, h + 0.2, "embedding\nde token", kind="embedding")
    box(ax, cx + 0.2, 1.15, w / 2 - 0.2, h + 0.2, "embedding\nde posición", kind="embedding")
    ax.text(cx, 1.15 + (h + 0.2) / 2, "+", ha="center", va="center", fontsize=16, fontweight="bold")
    note(1.56, "nb 1 (tok_emb, pos_emb)")
    arrow(ax, (cx, 1.97), (cx, 2.3))
    box(ax, x, 2.3, w, h, "dropout", kind="dropout")
    note(2.3 + h / 2, "nb 1 (drop_emb)")

    # Bloque transformer, con sus dos atajos: el mismo dibujo que en los notebooks 2 a 6.
    by = 2.3 + h + 0.13
    boxes, top = transformer_block(ax, cx, 2.3 + h, width=w - 0.9, box_h=0.5, gap=0.3, lead=0.6, fontsize=11,
                                   shortcut_x=x - 0.1, shortcut_label=False)
    bh = top - by - 0.1
    frame(ax, x - 0.5, by, w + 1.0, bh)
    ax.text(x + w + 0.2, by + bh / 2, "bloque transformer", rotation=90, ha="center", va="center", fontsize=12,
            fontweight="bold")
    ax.text(x + w + 0.35, by + bh - 0.25, "× 12", ha="right", va="center", fontsize=12,
            fontweight="bold", color=COLORS["destacado"])
    note(by + bh - 0.25, "nb 6 (TransformerBlock)")
    for attr, where in [("norm1", "nb 2"), ("att", "nb 5 (atención)"), ("norm2", "nb 2"), ("ff", "nb 3 (GELU)")]:
        for _, y, _, hh in boxes[attr]:
            note(y + hh / 2, where)
    _, y, _, hh = boxes["drop_shortcut"][0]
    note((y + hh + boxes["norm2"][0][1]) / 2, "nb 4 (atajos)")  # la primera suma

    # Salida.
    y = top + 0.3
    arrow(ax, (cx, top), (cx, y))
    box(ax, x, y, w, h, "LayerNorm final", kind="norma")
    note(y + h / 2, "nb 2 (final_norm)")
    arrow(ax, (cx, y + h), (cx, y + 0.9))
    box(ax, x, y + 0.9, w, h, "capa de salida (Linear)", kind="salida")
    note(y + 0.9 + h / 2, "nb 1 (out_head)")
    arrow(ax, (cx, y + 0.9 + h), (cx, y + 1.8))
    box(ax, x, y + 1.8, w, h, "logits  (batch, num_tokens, vocab_size)", kind="salida", fontsize=10.5)
    note(y + 1.8 + h / 2, "nb 7: modelo completo\nnb 8: logits → texto")
    ax.set_ylim(0, y + 1.8 + h + 0.1)
    fig.set_size_inches(9.0, y + 1.8 + h + 0.1)  # 1 unidad = 1 pulgada, como en new_figure
    return fig


def flujo_texto_logits():
    """Camino de «Every effort moves you» hasta los logits, con los ids reales del tokenizador de GPT-2."""
    fig, ax = new_figure(10.0, 8.6)
    tokens = ["Every", "␣effort", "␣moves", "␣you"]
    ids = [6109, 3626, 6100, 345]
    col0, col_w = 2.9, 1.75  # x de la primera columna y ancho de cada una
    cols = [col0 + i * col_w for i in range(4)]
    cw = 1.45  # ancho de caja
    label_x = 0.1
    rows = {"texto": 7.6, "tokens": 6.35, "ids": 5.1, "emb": 3.75, "modelo": 2.45, "logits": 0.85}

    def row_label(y, title, detail):
        ax.text(label_x, y + 0.2, title, ha="left", va="center", fontsize=12, fontweight="bold")
        ax.text(label_x, y - 0.18, detail, ha="left", va="center", fontsize=9.5, color="#555555")

    span_x, span_w = cols[0], cols[-1] + cw - cols[0]
    box(ax, span_x, rows["texto"], span_w, 0.6, "«Every effort moves you»", kind="texto", fontsize=13)
    row_label(rows["texto"] + 0.3, "texto", "una cadena")
    for c, tok, tid in zip(cols, tokens, ids, strict=True):
        mid = c + cw / 2
        arrow(ax, (mid, rows["texto"]), (mid, rows["tokens"] + 0.6))
        box(ax, c, rows["tokens"], cw, 0.6, tok, kind="texto", fontsize=12)
        arrow(ax, (mid, rows["tokens"]), (mid, rows["ids"] + 0.6))
        box(ax, c, rows["ids"], cw, 0.6, str(tid), kind="texto", fontsize=12, bold=True)
        arrow(ax, (mid, rows["ids"]), (mid, rows["emb"] + 0.55))
        values = [((tid * (k + 3)) % 17 - 8) / 8 for k in range(6)]  # valores ilustrativos
        _vector(ax, c + (cw - 6 * 0.22) / 2, rows["emb"] + 0.1, values)
        ax.text(mid, rows["emb"] - 0.12, "768 números", ha="center", va="center", fontsize=9,
                color="#555555")
        arrow(ax, (mid, rows["emb"] - 0.3), (mid, rows["modelo"] + 0.7))
        arrow(ax, (mid, rows["modelo"]), (mid, rows["logits"] + 0.95))
        _vector(ax, c + (cw - 6 * 0.22) / 2, rows["logits"] + 0.6, [v * -0.8 for v in values], kind="salida")
        ax.text(mid, rows["logits"] + 0.3, f"{num(50257)} números", ha="center", va="center", fontsize=9,
                color="#555555")
    row_label(rows["tokens"] + 0.3, "tokens", "tokenizador BPE de GPT-2")
    row_label(rows["ids"] + 0.3, "ids de tokens", "un entero por token")
    row_label(rows["emb"] + 0.3, "embeddings", "token + posición: (4, 768)")
    row_label(rows["modelo"] + 0.35, "modelo GPT", "12 bloques transformer")
    row_label(rows["logits"] + 0.7, "logits", "una puntuación por\ntoken del vocabulario")
    box(ax, span_x, rows["modelo"], span_w, 0.7, "modelo GPT", kind="bloque", fontsize=13, bold=True)
    ax.text(span_x + span_w / 2, 0.45, f"forma de la salida con un lote de 2 textos: (2, 4, {num(50257)})",
            ha="center", va="center", fontsize=10.5, style="italic")
    return fig


FIGURES = {
    "1_etapas_llm.png": etapas_llm,
    "1_arquitectura_gpt.png": arquitectura_gpt,
    "1_flujo_texto_logits.png": flujo_texto_logits,
}
