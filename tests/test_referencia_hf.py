"""Equivalencia con una referencia real: transformers.GPT2LMHeadModel con los mismos pesos."""

import pytest
import torch

from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict, load_hf_weights


def _ours(hf):
    cfg = gpt_config_from_hf(hf.config)
    return load_hf_weights(GPTModel(cfg).eval(), hf.state_dict())


def test_logits_iguales_modelo_diminuto(random_hf_gpt2):
    """Mismos logits (diferencia < 1e-4) que GPT2LMHeadModel en un modelo diminuto."""
    hf = random_hf_gpt2(0)
    ours = _ours(hf)
    x = torch.randint(0, 100, (3, 16))
    with torch.no_grad():
        diff = (ours(x) - hf(x).logits).abs().max().item()
    assert diff < 1e-4


def test_tokens_voraces_iguales_modelo_diminuto(random_hf_gpt2, hf_greedy):
    """La generación voraz da los mismos tokens que la de Hugging Face, también pasado el contexto."""
    hf = random_hf_gpt2(1)
    ours = _ours(hf)
    idx = torch.tensor([[3, 1, 4, 1, 5]])
    out = generate_text_simple(ours, idx, max_new_tokens=20, context_size=16)
    assert out.tolist() == hf_greedy(hf, idx, steps=20, context=16).tolist()


def test_el_mapeo_detecta_pesos_cambiados(random_hf_gpt2):
    """Control: si se estropea un sesgo tras copiar, los logits dejan de coincidir (la prueba puede fallar)."""
    hf = random_hf_gpt2(2)
    ours = _ours(hf)
    with torch.no_grad():
        ours.trf_blocks[1].att.W_value.bias.add_(1.0)
    x = torch.randint(0, 100, (1, 16))
    with torch.no_grad():
        assert (ours(x) - hf(x).logits).abs().max().item() > 1e-3


def test_error_si_falta_un_tensor(random_hf_gpt2):
    """Un state_dict incompleto da un error en español que nombra el tensor."""
    hf = random_hf_gpt2(3)
    sd = {k: v for k, v in hf.state_dict().items() if "h.1.mlp.c_fc.bias" not in k}
    with pytest.raises(ValueError, match=r"falta 1 tensor: \['h\.1\.mlp\.c_fc\.bias'\]"):
        hf_to_gpt_state_dict(sd, gpt_config_from_hf(hf.config))


def test_error_si_la_forma_no_cuadra(random_hf_gpt2):
    """Pesos de otro tamaño dan un error que nombra el tensor y las dos formas."""
    hf = random_hf_gpt2(4)
    cfg = {**gpt_config_from_hf(hf.config), "emb_dim": 64}
    with pytest.raises(ValueError, match=r"'wte\.weight' tiene forma \(100, 32\).*\(100, 64\)"):
        hf_to_gpt_state_dict(hf.state_dict(), cfg)


def test_error_si_sobra_un_tensor(random_hf_gpt2):
    """Un tensor que GPTModel no usa (aquí, un bloque de más) se nombra en vez de ignorarse."""
    hf = random_hf_gpt2(6)
    sd = {**hf.state_dict(), "transformer.h.2.ln_1.weight": torch.ones(32)}
    with pytest.raises(ValueError, match=r"sobra 1 tensor que GPTModel no usa: \['h\.2\.ln_1\.weight'\]"):
        hf_to_gpt_state_dict(sd, gpt_config_from_hf(hf.config))


def test_configuracion_desde_objeto_o_config_json(random_hf_gpt2, tmp_path):
    """gpt_config_from_hf da lo mismo con el GPT2Config que con el config.json que escribe save_pretrained."""
    import json

    hf = random_hf_gpt2(7)
    hf.save_pretrained(tmp_path)
    from_json = gpt_config_from_hf(json.loads((tmp_path / "config.json").read_text(encoding="utf-8")))
    assert gpt_config_from_hf(hf.config) == from_json == {
        "vocab_size": 100, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.0,
        "qkv_bias": True}


def test_error_sin_qkv_bias(random_hf_gpt2):
    """Cargar pesos de GPT-2 en un modelo sin sesgo en qkv se rechaza con la solución."""
    hf = random_hf_gpt2(5)
    cfg = {**gpt_config_from_hf(hf.config), "qkv_bias": False}
    with pytest.raises(ValueError, match="qkv_bias"):
        hf_to_gpt_state_dict(hf.state_dict(), cfg)


@pytest.mark.slow
def test_logits_y_tokens_iguales_124m(random_hf_gpt2, hf_greedy):
    """Con la configuración de 124M completa: mismos logits (< 1e-4) y mismos tokens voraces."""
    hf = random_hf_gpt2(123, size="124M")  # GPT2Config() por defecto es el de 124M
    ours = _ours(hf)
    assert ours.cfg["emb_dim"] == 768 and ours.cfg["n_layers"] == 12
    x = torch.tensor([[6109, 3626, 6100, 345], [6109, 1110, 6622, 257]])
    with torch.no_grad():
        diff = (ours(x) - hf(x).logits).abs().max().item()
    assert diff < 1e-4
    out = generate_text_simple(ours, x[:1], max_new_tokens=5, context_size=1024)
    assert out.tolist() == hf_greedy(hf, x[:1], steps=5, context=1024).tolist()
