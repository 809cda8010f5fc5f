"""Figuras del extra de FLOPs y memoria: dónde se hacen las multiplicaciones de un bloque."""

from tools.figures import COLORS, arrow, box, new_figure, num

E, T, V, L = 768, 1024, 50257, 12  # GPT-2 de 124M con el contexto completo

# (texto de la caja, tipo de componente, fórmula por token, FLOPs por token con E, T y V de arriba)
PASOS_BLOQUE = [
    ("LayerNorm (norm1)", "norma", "no cuenta", 0),
    ("W_query, W_key, W_value", "atencion", "2·3·E²", 2 * 3 * E * E),
    ("consultas · clavesᵀ", "atencion", "2·T·E", 2 * T * E),
    ("softmax y máscara", "atencion", "no cuenta", 0),
    ("pesos de atención · valores", "atencion", "2·T·E", 2 * T * E),
    ("out_proj", "atencion", "2·E²", 2 * E * E),
    ("LayerNorm (norm2)", "norma", "no cuenta", 0),
    ("capa lineal E → 4E", "feedforward", "2·4·E²", 2 * 4 * E * E),
    ("GELU", "feedforward", "no cuenta", 0),
    ("capa lineal 4E → E", "feedforward", "2·4·E²", 2 * 4 * E * E),
]


def flops_bloque():
    """Un bloque transformer paso a paso con los FLOPs de multiplicaciones de matrices por token."""
    fig, ax = new_figure(10.0, 9.6)
    x, w, h, step = 0.4, 4.2, 0.52, 0.72
    top = 8.0
    ax.text(x, 9.25, "FLOPs por token en un bloque (GPT-2 124M: E = 768, contexto T = 1024)",
            ha="left", va="center", fontsize=13, fontweight="bold")
    ax.text(6.1, 8.75, "fórmula", ha="center", va="center", fontsize=11, fontweight="bold")
    ax.text(8.6, 8.75, "millones", ha="center", va="center", fontsize=11, fontweight="bold")
    for k, (label, kind, formula, flops) in enumerate(PASOS_BLOQUE):
        y = top - k * step
        box(ax, x, y, w, h, label, kind=kind, fontsize=10.5)
        if k:
            arrow(ax, (x + w / 2, y + step), (x + w / 2, y + h))
        counted = flops > 0
        color = "#222222" if counted else "#999999"
        ax.text(6.1, y + h / 2, formula, ha="center", va="center", fontsize=11, color=color)
        ax.text(8.6, y + h / 2, num(flops / 1e6, 2) if counted else "—", ha="center", va="center",
                fontsize=11, color=color)
    total = sum(f for *_, f in PASOS_BLOQUE)
    y = top - len(PASOS_BLOQUE) * step + 0.1
    ax.plot([5.2, 9.6], [y + 0.45, y + 0.45], color="#444444", lw=1)
    ax.text(6.1, y + 0.15, "24·E² + 4·T·E", ha="center", va="center", fontsize=11,
            color=COLORS["destacado"], fontweight="bold")
    ax.text(8.6, y + 0.15, num(total / 1e6, 2), ha="center", va="center", fontsize=11,
            color=COLORS["destacado"], fontweight="bold")
    head = 2 * V * E
    model_total = num((L * total + head) / 1e6, 1)
    ax.text(x, y - 0.7, f"Más la capa de salida, una sola vez tras el último bloque: 2·V·E = {num(head / 1e6, 1)} "
            f"millones por token.\nTodo el modelo: {L} bloques × {num(total / 1e6, 2)} + {num(head / 1e6, 1)} = "
            f"{model_total} millones de FLOPs por token.\n"
            "«No cuenta»: FlopCounterMode solo cuenta multiplicaciones de matrices (2·m·n·k).",
            ha="left", va="center", fontsize=10, color="#555555", style="italic", linespacing=1.5)
    return fig


FIGURES = {"flops_bloque.png": flops_bloque}
