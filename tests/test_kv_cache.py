"""Pruebas de la caché KV: mismos logits y mismos tokens que sin caché, también pasado el contexto."""

import pytest
import torch

from utils.config import GPT_CONFIG_124M
from utils.generation import generate_text_simple, text_to_token_ids
from utils.gpt import GPTModel
from utils.kv_cache import KVCache, forward_with_cache, generate_text_cached


def _model(cfg, seed=0, **changes):
    torch.manual_seed(seed)
    return GPTModel({**cfg, **changes}).eval()


class _CountingCache(KVCache):
    """KVCache que recuerda cuántas posiciones llegó a guardar como máximo."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_seen = 0

    def update(self, layer, keys, values):
        keys, values = super().update(layer, keys, values)
        self.max_seen = max(self.max_seen, keys.shape[2])
        return keys, values


def _count_positions(model):
    """Engancha tok_emb para contar cuántas posiciones (por secuencia) procesa el modelo."""
    counter = {"positions": 0}

    def hook(module, args, output):
        counter["positions"] += args[0].shape[1]

    return counter, model.tok_emb.register_forward_hook(hook)


@pytest.mark.parametrize("prompt_len", [1, 4, 9, 15, 16, 20])
def test_mismos_tokens_que_generate_text_simple(tiny_cfg, prompt_len):
    """Con textos de partida de varias longitudes (hasta más largos que el contexto) y 30 tokens nuevos
    (que pasan de context_length=16), la generación con caché da exactamente los mismos tokens."""
    model = _model(tiny_cfg, seed=prompt_len)
    torch.manual_seed(100 + prompt_len)
    idx = torch.randint(0, tiny_cfg["vocab_size"], (2, prompt_len))
    expected = generate_text_simple(model, idx, max_new_tokens=30, context_size=16)
    assert torch.equal(generate_text_cached(model, idx, max_new_tokens=30, context_size=16), expected)


def test_mismos_tokens_con_contexto_menor_y_sesgo_qkv(tiny_cfg):
    """También con context_size menor que context_length y con sesgo en consulta, clave y valor."""
    model = _model(tiny_cfg, seed=7, qkv_bias=True)
    idx = torch.tensor([[3, 1, 4, 1, 5]])
    expected = generate_text_simple(model, idx, max_new_tokens=25, context_size=6)
    assert torch.equal(generate_text_cached(model, idx, max_new_tokens=25, context_size=6), expected)


def test_forward_por_partes_da_los_mismos_logits(tiny_cfg):
    """Procesar la secuencia en trozos (5 + 1 + 10 tokens) con la caché da los logits de una sola pasada."""
    model = _model(tiny_cfg, seed=1)
    x = torch.randint(0, tiny_cfg["vocab_size"], (3, 16))
    cache = KVCache(tiny_cfg["n_layers"], max_tokens=16)
    with torch.no_grad():
        full = model(x)
        parts = [forward_with_cache(model, x[:, a:b], cache) for a, b in [(0, 5), (5, 6), (6, 16)]]
    assert len(cache) == 16
    assert (torch.cat(parts, dim=1) - full).abs().max().item() < 1e-5


def test_la_cache_no_crece_mas_alla_del_contexto(tiny_cfg):
    """Generando 40 tokens con context_size=8, la caché nunca guarda más de 8 posiciones."""
    import utils.kv_cache as kv

    model = _model(tiny_cfg, seed=2)
    created = []

    class Recorder(_CountingCache):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    original, kv.KVCache = kv.KVCache, Recorder
    try:
        kv.generate_text_cached(model, torch.tensor([[1, 2, 3]]), max_new_tokens=40, context_size=8)
    finally:
        kv.KVCache = original
    assert len(created) == 1
    assert created[0].max_seen == 8


def test_cuenta_de_posiciones_procesadas(tiny_cfg):
    """Sin caché el paso k procesa todo el contexto; con caché, solo el token nuevo mientras cabe,
    y la ventana entera cuando se desplaza."""
    model = _model(tiny_cfg, seed=3)
    idx = torch.tensor([[1, 2, 3, 4]])
    counter, handle = _count_positions(model)
    try:
        generate_text_simple(model, idx, max_new_tokens=20, context_size=16)
        without_cache = counter["positions"]
        counter["positions"] = 0
        generate_text_cached(model, idx, max_new_tokens=20, context_size=16)
        with_cache = counter["positions"]
    finally:
        handle.remove()
    # sin caché: 4, 5, ..., 16 y luego 16 en cada paso; con caché: 4, luego 1 por paso hasta llenar 16,
    # y desde ahí la ventana completa (16) en cada paso
    assert without_cache == sum(min(4 + k, 16) for k in range(20))
    assert with_cache == 4 + 12 * 1 + 7 * 16


def test_las_claves_guardadas_dejan_de_valer_al_desplazar_la_ventana(tiny_cfg):
    """Control: recortar el contexto cambia las posiciones, así que reutilizar la caché vieja daría otros
    logits; por eso generate_text_cached la recalcula."""
    model = _model(tiny_cfg, seed=4)
    x = torch.randint(0, tiny_cfg["vocab_size"], (1, 17))
    old, new = KVCache(2, 16), KVCache(2, 16)
    with torch.no_grad():
        forward_with_cache(model, x[:, :16], old)  # tokens 0..15 en las posiciones 0..15
        forward_with_cache(model, x[:, 1:], new)   # tokens 1..16 en las posiciones 0..15
    # el token 1 estaba en la posición 1 y ahora en la 0: sus claves del primer bloque cambian
    assert (old.keys[0][:, :, 1] - new.keys[0][:, :, 0]).abs().max().item() > 1e-3


def test_error_si_la_cache_se_desborda(tiny_cfg):
    """Pedir más posiciones de las que caben da un error en español que explica qué hacer."""
    model = _model(tiny_cfg)
    cache = KVCache(tiny_cfg["n_layers"], max_tokens=8)
    with torch.no_grad():
        forward_with_cache(model, torch.zeros(1, 6, dtype=torch.long), cache)
        with pytest.raises(ValueError, match=r"ya tiene 6 posiciones y llegan 3.*reset\(\)"):
            forward_with_cache(model, torch.zeros(1, 3, dtype=torch.long), cache)


def test_reset_vacia_la_cache(tiny_cfg):
    """reset() deja la caché sin posiciones, lista para empezar de nuevo."""
    model = _model(tiny_cfg)
    cache = KVCache(tiny_cfg["n_layers"], max_tokens=16)
    with torch.no_grad():
        forward_with_cache(model, torch.ones(1, 5, dtype=torch.long), cache)
    assert len(cache) == 5
    cache.reset()
    assert len(cache) == 0


def test_generate_text_cached_comprueba_los_ids_una_vez(tiny_cfg, monkeypatch):
    """generate_text_cached comprueba el texto de partida una vez, no en cada token: los tokens siguientes
    los elige el modelo y siempre son válidos."""
    import utils.kv_cache

    calls = []
    check = utils.kv_cache.check_token_ids
    monkeypatch.setattr(utils.kv_cache, "check_token_ids", lambda *args: calls.append(1) or check(*args))
    generate_text_cached(_model(tiny_cfg), torch.tensor([[1, 2, 3]]), max_new_tokens=20, context_size=8)
    assert len(calls) == 1


def test_error_con_max_new_tokens_negativo(tiny_cfg):
    """max_new_tokens negativo da el mismo error claro que generate_text_simple."""
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate_text_cached(_model(tiny_cfg), torch.tensor([[1]]), max_new_tokens=-1, context_size=16)


@pytest.mark.slow
def test_mismos_tokens_con_el_modelo_de_124m(gpt124_seed123, tokenizer):
    """Con GPTModel(GPT_CONFIG_124M) y torch.manual_seed(123), los 10 tokens del libro salen igual."""
    model = gpt124_seed123.eval()
    idx = text_to_token_ids("Hello, I am", tokenizer)
    ctx = GPT_CONFIG_124M["context_length"]
    expected = generate_text_simple(model, idx, max_new_tokens=6, context_size=ctx)
    assert expected[0].tolist() == [15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267]
    assert torch.equal(generate_text_cached(model, idx, max_new_tokens=6, context_size=ctx), expected)
