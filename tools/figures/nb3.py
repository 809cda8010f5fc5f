"""Figuras del notebook 3: GELU frente a ReLU y la red feed-forward."""

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from tools.figures import COLORS, DPI, EDGE, arrow, box, new_figure, num, transformer_block_figure
from utils.layers import GELU


def _value_and_derivative(activation, x):
    """Devuelve (f(x), f'(x)) calculando la derivada con autograd, punto a punto."""
    x = x.clone().requires_grad_(True)
    y = activation(x)
    (dy,) = torch.autograd.grad(y.sum(), x)  # cada y[i] depende solo de x[i]: el gradiente de la suma es f'(x)
    return y.detach(), dy


def gelu_vs_relu():
    """GELU y ReLU en [-3, 3] (izquierda) y sus derivadas (derecha), calculadas con autograd."""
    x = torch.linspace(-3, 3, 601)
    curves = [("GELU", GELU(), COLORS["destacado"], "-"), ("ReLU", nn.ReLU(), EDGE, "--")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=DPI)
    for name, activation, color, style in curves:
        y, dy = _value_and_derivative(activation, x)
        axes[0].plot(x, y, style, color=color, linewidth=2.4, label=name)
        axes[1].plot(x, dy, style, color=color, linewidth=2.4, label=name)
    axes[0].set_title("La función", fontsize=13)
    axes[1].set_title("Su derivada (con autograd)", fontsize=13)
    axes[0].set_ylabel("f(x)", fontsize=12)
    axes[1].set_ylabel("f'(x)", fontsize=12)
    for ax in axes:
        ax.set_xlabel("x", fontsize=12)
        ax.axhline(0, color="#bbbbbb", linewidth=0.8, zorder=0)
        ax.axvline(0, color="#bbbbbb", linewidth=0.8, zorder=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=12)
        ax.tick_params(labelsize=11)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v)))  # coma decimal, signo menos
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v)))
    # El mínimo de GELU, donde se ve que deja pasar algo de los valores negativos
    y, _ = _value_and_derivative(GELU(), x)
    i = int(torch.argmin(y))
    label = f"mínimo ≈ {num(y[i].item(), 2)}\nen x ≈ {num(x[i].item(), 2)}"
    axes[0].annotate(label, xy=(x[i].item(), y[i].item()),
                     xytext=(-2.9, 1.3), fontsize=11, arrowprops={"arrowstyle": "->", "color": EDGE})
    fig.tight_layout()
    return fig


def _vector(ax, x, y_center, height, label, size_label):
    """Dibuja un vector de activaciones como una barra vertical de la altura dada."""
    ax.add_patch(Rectangle((x, y_center - height / 2), 0.45, height, facecolor=COLORS["embedding"],
                           edgecolor=EDGE, linewidth=1.2))
    ax.text(x + 0.225, y_center - height / 2 - 0.3, size_label, ha="center", va="top", fontsize=13,
            fontweight="bold")
    ax.text(x + 0.225, y_center + height / 2 + 0.25, label, ha="center", va="bottom", fontsize=12)


def feed_forward():
    """La red feed-forward de un token: 768 -> 3072 (GELU) -> 768."""
    fig, ax = new_figure(9.4, 6.6)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # 1 unidad = 1 pulgada = 100 px
    yc = 3.4
    _vector(ax, 0.3, yc, 1.1, "entrada", "768")
    box(ax, 1.45, yc - 0.55, 1.6, 1.1, "Linear\n768 → 3072", "feedforward", fontsize=12)
    _vector(ax, 3.35, yc, 4.4, "", "3072")
    box(ax, 4.1, yc - 0.45, 1.2, 0.9, "GELU", "feedforward", fontsize=13, bold=True)
    _vector(ax, 5.6, yc, 4.4, "", "3072")
    box(ax, 6.35, yc - 0.55, 1.6, 1.1, "Linear\n3072 → 768", "feedforward", fontsize=12)
    _vector(ax, 8.25, yc, 1.1, "salida", "768")
    for start, end in [(0.75, 1.45), (3.05, 3.35), (3.8, 4.1), (5.3, 5.6), (6.05, 6.35), (7.95, 8.25)]:
        arrow(ax, (start, yc), (end, yc))
    ax.text(2.25, yc + 1.0, "expande ×4", ha="center", fontsize=13, color=COLORS["destacado"], fontweight="bold")
    ax.text(7.15, yc + 1.0, "contrae ÷4", ha="center", fontsize=13, color=COLORS["destacado"], fontweight="bold")
    ax.text(4.7, yc + 2.5, "espacio más ancho: más sitio para combinar rasgos", ha="center", fontsize=12,
            style="italic")
    ax.text(4.6, 0.15, "Se aplica a cada token por separado, con los mismos pesos; la forma "
            "(batch, num_tokens, 768) no cambia.", ha="center", fontsize=11.5)
    return fig


def feed_forward_en_bloque():
    """Bloque transformer con su red feed-forward resaltada."""
    return transformer_block_figure({"feedforward"})


FIGURES = {
    "3_gelu_vs_relu.png": gelu_vs_relu,
    "3_feed_forward.png": feed_forward,
    "3_feed_forward_en_bloque.png": feed_forward_en_bloque,
}
