"""Equivalencia con una referencia real: transformers.GPT2LMHeadModel con los mismos pesos."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict, load_hf_weights


def _hf_model(seed, **kwargs):
    """GPT-2 de Hugging Face aleatorio, con sesgos y LayerNorm perturbados para que un mapeo
    equivocado (un sesgo olvidado, q y k intercambiadas, una matriz sin trasponer) no pase inadvertido."""
    torch.manual_seed(seed)
    config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None, eos_token_id=None,
                        **kwargs)
    hf = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, param in hf.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                param.add_(torch.randn_like(param) * 0.2)
    return hf


def _ours(hf):
    cfg = gpt_config_from_hf(hf.config)
    return load_hf_weights(GPTModel(cfg).eval(), hf.state_dict())


TINY = dict(vocab_size=100, n_positions=16, n_embd=32, n_layer=2, n_head=4)


def test_logits_iguales_modelo_diminuto():
    """Mismos logits (diferencia < 1e-4) que GPT2LMHeadModel en un modelo diminuto."""
    hf = _hf_model(0, **TINY)
    ours = _ours(hf)
    x = torch.randint(0, 100, (3, 16))
    with torch.no_grad():
        diff = (ours(x) - hf(x).logits).abs().max().item()
    assert diff < 1e-4


def test_tokens_voraces_iguales_modelo_diminuto():
    """La generación voraz da los mismos tokens que la de Hugging Face, también pasado el contexto."""
    hf = _hf_model(1, **TINY)
    ours = _ours(hf)
    idx = torch.tensor([[3, 1, 4, 1, 5]])
    out = generate_text_simple(ours, idx, max_new_tokens=20, context_size=16)
    ref = idx
    for _ in range(20):
        with torch.no_grad():
            nxt = hf(ref[:, -16:]).logits[:, -1].argmax(-1, keepdim=True)
        ref = torch.cat([ref, nxt], dim=1)
    assert out.tolist() == ref.tolist()


def test_el_mapeo_detecta_pesos_cambiados():
    """Control: si se estropea un sesgo tras copiar, los logits dejan de coincidir (la prueba puede fallar)."""
    hf = _hf_model(2, **TINY)
    ours = _ours(hf)
    with torch.no_grad():
        ours.trf_blocks[1].att.W_value.bias.add_(1.0)
    x = torch.randint(0, 100, (1, 16))
    with torch.no_grad():
        assert (ours(x) - hf(x).logits).abs().max().item() > 1e-3


def test_error_si_falta_un_tensor():
    """Un state_dict incompleto da un error en español que nombra el tensor."""
    hf = _hf_model(3, **TINY)
    sd = {k: v for k, v in hf.state_dict().items() if "h.1.mlp.c_fc.bias" not in k}
    with pytest.raises(KeyError, match=r"Falta el tensor 'h\.1\.mlp\.c_fc\.bias'"):
        hf_to_gpt_state_dict(sd, gpt_config_from_hf(hf.config))


def test_error_si_la_forma_no_cuadra():
    """Pesos de otro tamaño dan un error que nombra el tensor y las dos formas."""
    hf = _hf_model(4, **TINY)
    cfg = {**gpt_config_from_hf(hf.config), "emb_dim": 64}
    with pytest.raises(ValueError, match=r"'wte\.weight' tiene forma \(100, 32\).*\(100, 64\)"):
        hf_to_gpt_state_dict(hf.state_dict(), cfg)


def test_error_sin_qkv_bias():
    """Cargar pesos de GPT-2 en un modelo sin sesgo en qkv se rechaza con la solución."""
    hf = _hf_model(5, **TINY)
    cfg = {**gpt_config_from_hf(hf.config), "qkv_bias": False}
    with pytest.raises(ValueError, match="qkv_bias"):
        hf_to_gpt_state_dict(hf.state_dict(), cfg)


@pytest.mark.slow
def test_logits_y_tokens_iguales_124m():
    """Con la configuración de 124M completa: mismos logits (< 1e-4) y mismos tokens voraces."""
    hf = _hf_model(123)  # GPT2Config() por defecto es el GPT-2 de 124M
    ours = _ours(hf)
    assert ours.cfg["emb_dim"] == 768 and ours.cfg["n_layers"] == 12
    x = torch.tensor([[6109, 3626, 6100, 345], [6109, 1110, 6622, 257]])
    with torch.no_grad():
        diff = (ours(x) - hf(x).logits).abs().max().item()
    assert diff < 1e-4
    out = generate_text_simple(ours, x[:1], max_new_tokens=5, context_size=1024)
    ref = x[:1]
    for _ in range(5):
        with torch.no_grad():
            ref = torch.cat([ref, hf(ref).logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert out.tolist() == ref.tolist()
