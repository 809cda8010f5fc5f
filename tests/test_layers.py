"""Pruebas de LayerNorm, GELU y FeedForward contra las implementaciones de PyTorch."""

import pytest
import torch
import torch.nn.functional as F

from utils.layers import GELU, FeedForward, LayerNorm


def test_layernorm_igual_que_la_de_pytorch():
    """Con los mismos parámetros, nuestra LayerNorm da lo mismo que torch.nn.LayerNorm."""
    torch.manual_seed(0)
    x = torch.randn(3, 5, 32) * 4 + 2
    ours = LayerNorm(32)
    ref = torch.nn.LayerNorm(32, eps=1e-5)
    with torch.no_grad():
        ours.scale.copy_(torch.randn(32))
        ours.shift.copy_(torch.randn(32))
        ref.weight.copy_(ours.scale)
        ref.bias.copy_(ours.shift)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)


def test_layernorm_deja_media_cero_y_varianza_uno():
    """Recién creada (scale=1, shift=0), cada fila sale con media 0 y varianza sesgada 1."""
    torch.manual_seed(1)
    out = LayerNorm(6)(torch.randn(4, 6) * 10)
    torch.testing.assert_close(out.mean(dim=-1), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var(dim=-1, unbiased=False), torch.ones(4), atol=1e-4, rtol=0)


def test_layernorm_usa_varianza_sesgada_y_eps():
    """Con dos valores [0, 2]: media 1, varianza sesgada 1, así que sale [-1, 1] (salvo eps)."""
    out = LayerNorm(2)(torch.tensor([[0.0, 2.0]]))
    expected = torch.tensor([[-1.0, 1.0]]) / torch.sqrt(torch.tensor(1.0 + 1e-5))
    torch.testing.assert_close(out, expected)


def test_layernorm_nombres_de_parametros():
    """Los parámetros se llaman scale y shift, como en el libro."""
    assert [name for name, _ in LayerNorm(4).named_parameters()] == ["scale", "shift"]


def test_gelu_igual_que_la_aproximacion_tanh_de_pytorch():
    """GELU coincide con F.gelu(approximate='tanh') en un rango amplio."""
    x = torch.linspace(-8, 8, 2001)
    torch.testing.assert_close(GELU()(x), F.gelu(x, approximate="tanh"), atol=1e-6, rtol=1e-5)


def test_gelu_no_es_la_exacta():
    """La aproximación tanh difiere (poco, pero algo) de la GELU exacta: no es la misma función."""
    x = torch.linspace(-3, 3, 601)
    diff = (GELU()(x) - F.gelu(x)).abs().max()
    assert 1e-5 < diff < 1e-3


def test_feedforward_forma_y_parametros():
    """FeedForward conserva la forma y tiene 768·3072 + 3072 + 3072·768 + 768 parámetros."""
    ff = FeedForward({"emb_dim": 768})
    x = torch.rand(2, 3, 768)
    assert ff(x).shape == (2, 3, 768)
    assert sum(p.numel() for p in ff.parameters()) == 4_722_432
    assert isinstance(ff.layers[1], GELU)


# ------------------------------------------------------------------ entradas equivocadas: errores en español
# Las capas comprueban lo que reciben al crearse; la forma de la entrada la comprueba GPTModel, donde entra.

@pytest.mark.parametrize("emb_dim", [0, -1, 768.0, True, "768"])
def test_layernorm_tamano_no_valido(emb_dim):
    """El tamaño de la capa es un entero positivo."""
    with pytest.raises(ValueError, match="LayerNorm recibe el tamaño del embedding, un entero positivo"):
        LayerNorm(emb_dim)


def test_layernorm_con_la_configuracion_entera():
    """LayerNorm(cfg) en lugar de LayerNorm(cfg['emb_dim']) sugiere lo segundo."""
    with pytest.raises(ValueError, match=r"usa LayerNorm\(cfg\['emb_dim'\]\)"):
        LayerNorm({"emb_dim": 768})


def test_layernorm_acepta_cualquier_rango():
    """LayerNorm normaliza la última dimensión de entradas de 1, 2, 3 o 4 dimensiones."""
    for shape in [(8,), (3, 8), (2, 3, 8), (2, 2, 3, 8)]:
        assert LayerNorm(8)(torch.randn(shape)).shape == shape


@pytest.mark.parametrize("cfg", [768, None, [768]])
def test_feedforward_sin_configuracion(cfg):
    """FeedForward(768) o algo que no es un diccionario dan un TypeError que dice qué pasar."""
    with pytest.raises(TypeError, match=r"FeedForward recibe la configuración.*FeedForward\(GPT_CONFIG_124M\)"):
        FeedForward(cfg)


def test_feedforward_configuracion_sin_emb_dim():
    """Una configuración sin emb_dim nombra la clave que falta."""
    with pytest.raises(ValueError, match=r"le faltan las claves \['emb_dim'\]"):
        FeedForward({"emb": 768})


def test_capas_sin_comprobaciones_en_forward():
    """forward de LayerNorm y FeedForward es el del libro: ninguna comprobación por llamada."""
    import inspect

    for layer in (LayerNorm, FeedForward):
        assert "check_" not in inspect.getsource(layer.forward), layer.__name__
