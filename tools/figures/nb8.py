"""Figura del notebook 8: el bucle de generación voraz de texto."""

from tools.figures import COLORS, arrow, box, new_figure, num


def bucle_generacion():
    """Devuelve la figura del bucle: recortar, modelo, logits, softmax, argmax y añadir el id nuevo."""
    fig, ax = new_figure(10.0, 5.2)
    top, bottom, h = 3.2, 0.5, 1.25
    fs = 10

    box(ax, 0.2, top, 2.1, h, "ids del texto\n[15496, 11, 314, 716]\n«Hello, I am»", "texto", fontsize=fs)
    box(ax, 2.75, top, 2.1, h, "recortar a los\núltimos context_size\nids", "texto", fontsize=fs)
    box(ax, 5.3, top, 1.7, h, "GPTModel", "bloque", fontsize=11, bold=True)
    box(ax, 7.45, top, 2.35, h, f"logits de la\núltima posición\n(batch, {num(50257)})", "salida", fontsize=fs)
    arrow(ax, (2.3, top + h / 2), (2.75, top + h / 2))
    arrow(ax, (4.85, top + h / 2), (5.3, top + h / 2))
    arrow(ax, (7.0, top + h / 2), (7.45, top + h / 2))

    box(ax, 7.45, bottom, 2.35, h, "softmax\n→ probabilidades\n(suman 1)", "salida", fontsize=fs)
    box(ax, 5.0, bottom, 2.0, h, "argmax\n→ id más probable\n27018 «Feature»", "destacado", fontsize=fs)
    box(ax, 2.05, bottom, 2.5, h, "añadir al final\n(torch.cat)\n[15496, …, 716, 27018]", "texto", fontsize=fs)
    arrow(ax, (8.62, top), (8.62, bottom + h))
    arrow(ax, (7.45, bottom + h / 2), (7.0, bottom + h / 2))
    arrow(ax, (5.0, bottom + h / 2), (4.55, bottom + h / 2))
    arrow(ax, (2.05, bottom + h / 2), (1.25, top), connectionstyle="angle,angleA=180,angleB=-90,rad=0")

    ax.text(4.4, 2.45, "se repite max_new_tokens veces", ha="center", va="center", fontsize=11,
            fontweight="bold", color=COLORS["destacado"])
    return fig


FIGURES = {"8_bucle_generacion.png": bucle_generacion}
