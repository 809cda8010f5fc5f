"""Pruebas de la atención multicabeza causal (utils/attention.py, notebook 5)."""

import pytest
import torch
import torch.nn.functional as F

from utils.attention import MultiHeadAttention


def test_atencion_es_causal():
    """Cambiar el último token no puede cambiar la salida de los anteriores."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 32, context_length=16, dropout=0.0, num_heads=4).eval()
    x = torch.randn(1, 6, 32)
    x_mod = x.clone()
    x_mod[:, -1] += 10.0
    out, out_mod = mha(x), mha(x_mod)
    torch.testing.assert_close(out[:, :-1], out_mod[:, :-1])
    assert not torch.allclose(out[:, -1], out_mod[:, -1])


def test_atencion_igual_que_scaled_dot_product_attention():
    """Con las mismas proyecciones, coincide con F.scaled_dot_product_attention(is_causal=True)."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 32, context_length=16, dropout=0.0, num_heads=4, qkv_bias=True).eval()
    x = torch.randn(2, 7, 32)

    def heads(t):
        return t.view(2, 7, 4, 8).transpose(1, 2)

    q, k, v = heads(mha.W_query(x)), heads(mha.W_key(x)), heads(mha.W_value(x))
    ctx = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 7, 32)
    torch.testing.assert_close(mha(x), mha.out_proj(ctx), atol=1e-5, rtol=1e-5)


def test_atencion_formas_y_orden_de_capas():
    """La salida tiene d_out columnas y las capas se crean en el orden del libro."""
    mha = MultiHeadAttention(24, 32, context_length=10, dropout=0.1, num_heads=4)
    assert mha(torch.randn(3, 10, 24)).shape == (3, 10, 32)
    names = [n for n, _ in mha.named_children()]
    assert names[:4] == ["W_query", "W_key", "W_value", "out_proj"]
    assert mha.W_query.bias is None and mha.out_proj.bias is not None


def test_atencion_rechaza_d_out_no_divisible():
    """d_out no divisible entre num_heads da un error en español con una sugerencia."""
    with pytest.raises(ValueError, match=r"d_out \(770\) debe ser divisible entre num_heads \(12\)"):
        MultiHeadAttention(768, 770, context_length=8, dropout=0.0, num_heads=12)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"num_heads": 0}, r"num_heads debe ser un entero positivo, y vale 0"),
    ({"num_heads": 2.0}, r"num_heads debe ser un entero positivo, y vale 2.0"),
    ({"context_length": -1}, r"context_length debe ser un entero positivo"),
    ({"dropout": 1.0}, r"dropout debe ser una probabilidad en \[0, 1\)"),
])
def test_atencion_rechaza_argumentos_sin_sentido(kwargs, pattern):
    """num_heads=0 y otros valores imposibles dan un ValueError en español, no un ZeroDivisionError."""
    args = {"d_in": 32, "d_out": 32, "context_length": 16, "dropout": 0.0, "num_heads": 4, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        MultiHeadAttention(**args)


def test_atencion_acepta_tensores_meta():
    """Las comprobaciones solo miran la forma: la atención funciona en el dispositivo meta."""
    mha = MultiHeadAttention(32, 32, context_length=16, dropout=0.0, num_heads=4).to("meta")
    assert mha(torch.empty(2, 5, 32, device="meta")).shape == (2, 5, 32)


def test_atencion_da_los_numeros_del_libro():
    """Con la semilla 123 y el ejemplo del capítulo 3 (dos copias de la frase de seis tokens), la primera fila
    es la del libro: las capas se crean en su orden (W_query, W_key, W_value, out_proj)."""
    inputs = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                           [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
    batch = torch.stack((inputs, inputs), dim=0)
    torch.manual_seed(123)
    mha = MultiHeadAttention(d_in=3, d_out=2, context_length=6, dropout=0.0, num_heads=2)
    with torch.no_grad():
        context_vecs = mha(batch)
    assert context_vecs.shape == (2, 6, 2)
    torch.testing.assert_close(context_vecs[0, 0], torch.tensor([0.3190, 0.4858]), atol=5e-5, rtol=0)
