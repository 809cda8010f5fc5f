"""Pruebas de FastGPTModel: mismos pesos y mismos logits que GPTModel, con y sin caché."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from utils.fast_gpt import (
    FastGPTModel,
    FastKVCache,
    fast_gpt_from_state_dict,
    generate_fast,
    gpt_to_fast_state_dict,
)
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict


def _pair(cfg, seed=0, **changes):
    """Un GPTModel aleatorio (con LayerNorm y sesgos perturbados) y su FastGPTModel."""
    cfg = {**cfg, **changes}
    torch.manual_seed(seed)
    model = GPTModel(cfg).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("bias", "scale", "shift")):
                param.add_(torch.randn_like(param) * 0.2)  # que un sesgo mal copiado se note
    return model, fast_gpt_from_state_dict(model.state_dict(), cfg)


def test_la_conversion_da_exactamente_las_claves_del_modelo_rapido(tiny_cfg):
    """gpt_to_fast_state_dict produce las claves y formas de FastGPTModel, ni una más ni una menos."""
    cfg = {**tiny_cfg, "qkv_bias": True}
    converted = gpt_to_fast_state_dict(GPTModel(cfg).state_dict(), cfg)
    expected = FastGPTModel(cfg).state_dict()
    assert sorted(converted) == sorted(expected)
    assert all(converted[k].shape == expected[k].shape for k in expected)


def test_w_qkv_apila_consulta_clave_y_valor_en_orden(tiny_cfg):
    """Las filas de W_qkv son, por este orden, las de W_query, W_key y W_value."""
    model, fast = _pair(tiny_cfg)
    att, fast_att = model.trf_blocks[1].att, fast.trf_blocks[1].att
    q, k, v = fast_att.W_qkv.weight.split(tiny_cfg["emb_dim"])
    assert torch.equal(q, att.W_query.weight)
    assert torch.equal(k, att.W_key.weight)
    assert torch.equal(v, att.W_value.weight)


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_mismos_logits_que_gptmodel(tiny_cfg, qkv_bias):
    """Con los mismos pesos, los logits coinciden (diferencia máxima < 1e-4), con y sin sesgo qkv."""
    model, fast = _pair(tiny_cfg, seed=1, qkv_bias=qkv_bias)
    x = torch.randint(0, tiny_cfg["vocab_size"], (3, 16))
    with torch.no_grad():
        assert (fast(x) - model(x)).abs().max().item() < 1e-4


def test_mismos_logits_con_cache_por_partes(tiny_cfg):
    """Procesar 4 + 1 + 1 + 10 tokens con FastKVCache da los logits de una sola pasada sin caché."""
    model, fast = _pair(tiny_cfg, seed=2, qkv_bias=True)
    x = torch.randint(0, tiny_cfg["vocab_size"], (2, 16))
    cache = FastKVCache(tiny_cfg["n_layers"], max_tokens=16)
    with torch.no_grad():
        parts = [fast(x[:, a:b], cache=cache) for a, b in [(0, 4), (4, 5), (5, 6), (6, 16)]]
        full = model(x)
    assert len(cache) == 16
    assert (torch.cat(parts, dim=1) - full).abs().max().item() < 1e-4


def test_only_last_da_la_ultima_posicion(tiny_cfg):
    """only_last=True devuelve solo los logits de la última posición, los mismos que la pasada completa."""
    _, fast = _pair(tiny_cfg, seed=3)
    x = torch.randint(0, tiny_cfg["vocab_size"], (2, 9))
    with torch.no_grad():
        last = fast(x, only_last=True)
        full = fast(x)
    assert last.shape == (2, 1, tiny_cfg["vocab_size"])
    assert (last[:, 0] - full[:, -1]).abs().max().item() < 1e-5


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("prompt_len", [1, 7, 16])
def test_generate_fast_da_los_tokens_de_generate_text_simple(tiny_cfg, use_cache, prompt_len):
    """generate_fast, con y sin caché, da los mismos tokens que generate_text_simple, pasado el contexto."""
    model, fast = _pair(tiny_cfg, seed=prompt_len)
    idx = torch.randint(0, tiny_cfg["vocab_size"], (2, prompt_len))
    expected = generate_text_simple(model, idx, max_new_tokens=25, context_size=16)
    assert torch.equal(generate_fast(fast, idx, 25, context_size=16, use_cache=use_cache), expected)


def test_pesos_compartidos_son_la_misma_matriz(tiny_cfg):
    """Con tie_weights=True, out_head y tok_emb son el mismo parámetro (no dos copias iguales)."""
    cfg = {**tiny_cfg, "qkv_bias": True}
    model = GPTModel(cfg)
    model.out_head.weight = model.tok_emb.weight
    fast = fast_gpt_from_state_dict(model.state_dict(), cfg, tie_weights=True)
    assert fast.out_head.weight is fast.tok_emb.weight
    n_params = sum(p.numel() for p in fast.parameters())  # parameters() cuenta una vez lo compartido
    assert n_params == sum(p.numel() for p in FastGPTModel(cfg).parameters()) - cfg["vocab_size"] * cfg["emb_dim"]


def test_error_si_se_comparten_pesos_distintos(tiny_cfg):
    """tie_weights=True con tok_emb y out_head distintos da un error en español que propone la solución."""
    with pytest.raises(ValueError, match="tie_weights=False"):
        gpt_to_fast_state_dict(GPTModel(tiny_cfg).state_dict(), tiny_cfg, tie_weights=True)


def test_construir_desde_pesos_no_sortea_nada(tiny_cfg):
    """fast_gpt_from_state_dict no inicializa al azar: no consume el generador aleatorio ni deja nada en meta."""
    state_dict = GPTModel(tiny_cfg).state_dict()
    before = torch.random.get_rng_state()
    fast = fast_gpt_from_state_dict(state_dict, tiny_cfg)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(p.device.type == "cpu" for p in fast.parameters())
    assert not fast.training


def test_mismos_logits_que_hugging_face(tiny_cfg):
    """Cargado desde un GPT-2 de Hugging Face con pesos compartidos, da sus logits (< 1e-4)."""
    torch.manual_seed(5)
    hf_cfg = GPT2Config(vocab_size=100, n_positions=16, n_embd=32, n_layer=2, n_head=4,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None, eos_token_id=None)
    hf = GPT2LMHeadModel(hf_cfg).eval()
    cfg = gpt_config_from_hf(hf.config)
    fast = fast_gpt_from_state_dict(hf_to_gpt_state_dict(hf.state_dict(), cfg), cfg, tie_weights=True)
    x = torch.randint(0, 100, (2, 16))
    with torch.no_grad():
        assert (fast(x) - hf(x).logits).abs().max().item() < 1e-4


def test_error_si_la_cache_se_desborda(tiny_cfg):
    """Más posiciones de las que admite la caché dan un error que explica qué hacer."""
    _, fast = _pair(tiny_cfg)
    cache = FastKVCache(tiny_cfg["n_layers"], max_tokens=4)
    with torch.no_grad():
        fast(torch.zeros(1, 3, dtype=torch.long), cache=cache)
        with pytest.raises(ValueError, match=r"admite 4 posiciones.*reset\(\)"):
            fast(torch.zeros(1, 2, dtype=torch.long), cache=cache)


@pytest.mark.slow
def test_mismos_logits_con_el_modelo_de_124m(gpt124_seed123, tokenizer):
    """Con GPT_CONFIG_124M y los pesos de torch.manual_seed(123), los logits coinciden (< 1e-4)."""
    model = gpt124_seed123.eval()
    fast = fast_gpt_from_state_dict(model.state_dict(), model.cfg)
    batch = torch.tensor([tokenizer.encode("Every effort moves you"), tokenizer.encode("Every day holds a")])
    with torch.no_grad():
        assert (fast(batch) - model(batch)).abs().max().item() < 1e-4
