"""Pruebas de los cálculos que hay detrás de las figuras de los notebooks 2, 3 y 4."""

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn as nn
from matplotlib.colors import to_hex

from tools.figures import COLORS
from tools.figures.nb2 import draw_transformer_block
from tools.figures.nb3 import _value_and_derivative
from utils.layers import GELU


def test_derivada_de_gelu_igual_que_diferencias_finitas():
    """La derivada de GELU que dibuja la figura coincide con la de diferencias centradas."""
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    _, dy = _value_and_derivative(GELU(), x)
    h = 1e-5
    numeric = (GELU()(x + h) - GELU()(x - h)) / (2 * h)
    torch.testing.assert_close(dy, numeric, atol=1e-8, rtol=1e-6)


def test_derivada_de_relu_es_escalon():
    """La derivada de ReLU que dibuja la figura es 0 para x <= 0 y 1 para x > 0."""
    x = torch.linspace(-3, 3, 601)
    y, dy = _value_and_derivative(nn.ReLU(), x)
    torch.testing.assert_close(y, x.clamp(min=0))
    torch.testing.assert_close(dy, (x > 0).float())


def _highlighted_artists(ax):
    """Cuenta las cajas, círculos y líneas dibujados con el color destacado."""
    orange = COLORS["destacado"]
    patches = sum(1 for p in ax.patches if to_hex(p.get_edgecolor()) == orange)
    lines = sum(1 for line in ax.lines if to_hex(line.get_color()) == orange)
    return patches + lines


@pytest.mark.parametrize("highlight, expected", [((), 0), ({"norma"}, 2), ({"feedforward"}, 1), ({"atajo"}, 8)])
def test_bloque_transformer_resalta_lo_pedido(highlight, expected):
    """La figura del bloque resalta exactamente las piezas pedidas: 2 LayerNorm, 1 feed-forward o los 2 atajos."""
    fig = draw_transformer_block(highlight)
    count = _highlighted_artists(fig.axes[0])
    plt.close(fig)
    assert count == expected
