"""Pruebas de lo que dibujan las figuras: el bloque transformer, las derivadas de GELU, el formato de los
números, las formas de la atención multicabeza y el mapa de ejercicios del notebook 9."""

import json
import re

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn as nn
from conftest import ROOT
from matplotlib.colors import to_hex
from matplotlib.text import Text

from tools.figures import COLORS, num, transformer_block_figure
from tools.figures.__main__ import all_figures
from tools.figures.nb3 import _value_and_derivative
from tools.figures.nb5 import EJEMPLO, PASOS_FORMAS, forma_con_numeros
from tools.figures.nb9 import EJERCICIOS
from utils.attention import MultiHeadAttention
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
    fig = transformer_block_figure(highlight)
    count = _highlighted_artists(fig.axes[0])
    plt.close(fig)
    assert count == expected


def test_los_numeros_se_escriben_como_en_el_texto():
    """Miles con espacio a partir de cinco cifras, coma decimal y signo menos tipográfico."""
    assert num(50257) == "50 257"
    assert num(124412160) == "124 412 160"
    assert num(1024) == "1024"
    assert num(0.6083, 2) == "0,61"
    assert num(-0.17, 2) == "\u22120,17"
    assert num(77.19, 1) == "77,2"
    assert num(-2.0) == "\u22122"


# Ids de tokens que las figuras muestran tal cual: son nombres de tokens, no cantidades.
TOKEN_IDS = {"15496", "27018", "6109", "3626", "6100"}


def test_ninguna_figura_escribe_numeros_en_formato_ingles():
    """En ningún texto de ninguna figura (ni en las marcas de los ejes) hay un número de cinco cifras o más
    sin espacio de miles ni un punto decimal entre cifras."""
    problems = []
    for name, draw in sorted(all_figures().items()):
        fig = draw()
        fig.canvas.draw()  # así las marcas de los ejes tienen ya su texto
        for text in fig.findobj(Text):
            content = text.get_text()
            long_numbers = set(re.findall(r"\d{5,}", content)) - TOKEN_IDS
            if long_numbers or re.search(r"\d\.\d", content):
                problems.append(f"{name}: {content!r}")
        plt.close(fig)
    assert not problems, "\n".join(problems)


def test_las_formas_de_la_figura_son_las_de_multiheadattention():
    """Cada forma de la figura 5_formas_atencion, con los tamaños del ejemplo, es la del tensor real en ese
    paso de MultiHeadAttention.forward (calculado aquí con la capa de utils/attention.py)."""
    b, t, d_in, d_out, heads = (EJEMPLO[k] for k in ("b", "num_tokens", "d_in", "d_out", "num_heads"))
    mha = MultiHeadAttention(d_in=d_in, d_out=d_out, context_length=t, dropout=0.0, num_heads=heads)
    assert mha.head_dim == EJEMPLO["head_dim"]
    x = torch.rand(b, t, d_in)
    q = mha.W_query(x)
    split = q.view(b, t, heads, mha.head_dim)
    q_heads = split.transpose(1, 2)
    scores = q_heads @ q_heads.transpose(2, 3)
    masked = scores.masked_fill(mha.mask.bool()[:t, :t], -torch.inf)
    weights = torch.softmax(masked / mha.head_dim**0.5, dim=-1)
    context = weights @ q_heads
    back = context.transpose(1, 2)
    joined = back.contiguous().view(b, t, d_out)
    real = [x, q, split, q_heads, scores, masked, weights, context, back, joined, mha(x)]
    drawn = [forma_con_numeros(forma) for _, _, forma, _ in PASOS_FORMAS]
    assert drawn == [str(tuple(tensor.shape)) for tensor in real]


def test_el_mapa_tiene_los_ejercicios_del_notebook_8_en_orden():
    """El mapa numera exactamente los ejercicios que tiene notebooks/9_ejercicios.ipynb, en orden."""
    nb = json.loads((ROOT / "notebooks" / "9_ejercicios.ipynb").read_text(encoding="utf-8"))
    titles = [line for cell in nb["cells"] if cell["cell_type"] == "markdown"
              for line in "".join(cell["source"]).splitlines() if line.startswith("## Ejercicio ")]
    in_notebook = [int(re.match(r"## Ejercicio (\d+)", line).group(1)) for line in titles]
    assert [number for number, _, _ in EJERCICIOS] == in_notebook == sorted(in_notebook)
