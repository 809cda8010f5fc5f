"""Pruebas de FastGPTModel: mismos pesos y mismos logits que GPTModel, con y sin caché."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from utils.fast_gpt import (
    FastGPTModel,
    FastKVCache,
    FastLinear,
    fast_gpt_from_state_dict,
    generate_fast,
    gpt_to_fast_state_dict,
    onednn_linear_works,
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
        with pytest.raises(ValueError, match=r"ya tiene 3 posiciones y llegan 2 tokens más; el límite es 4.*reset\(\)"):
            fast(torch.zeros(1, 2, dtype=torch.long), cache=cache)


@pytest.mark.slow
def test_mismos_logits_con_el_modelo_de_124m(gpt124_seed123, tokenizer):
    """Con GPT_CONFIG_124M y los pesos de torch.manual_seed(123), los logits coinciden (< 1e-4)."""
    model = gpt124_seed123.eval()
    fast = fast_gpt_from_state_dict(model.state_dict(), model.cfg)
    batch = torch.tensor([tokenizer.encode("Every effort moves you"), tokenizer.encode("Every day holds a")])
    with torch.no_grad():
        assert (fast(batch) - model(batch)).abs().max().item() < 1e-4


def test_matrices_por_filas_sin_cambiar_numeros(tiny_cfg):
    """Las matrices de las capas lineales quedan guardadas por filas (contiguas), con los mismos valores,
    también cuando llegan traspuestas, como las de Hugging Face."""
    model, fast = _pair(tiny_cfg)
    for name in ("att.W_qkv", "att.out_proj", "fc", "proj"):
        assert isinstance(fast.trf_blocks[0].get_submodule(name), FastLinear)
        assert fast.trf_blocks[0].get_submodule(name).weight.is_contiguous()
    assert fast.out_head.weight.is_contiguous()
    torch.testing.assert_close(fast.trf_blocks[1].fc.weight, model.trf_blocks[1].ff.layers[0].weight, rtol=0, atol=0)
    transposed = {k: v.t().contiguous().t() if v.dim() == 2 else v for k, v in model.state_dict().items()}
    assert not transposed["trf_blocks.0.ff.layers.0.weight"].is_contiguous()
    fast_t = fast_gpt_from_state_dict(transposed, tiny_cfg)
    assert all(m.weight.is_contiguous() for m in fast_t.modules() if isinstance(m, FastLinear))


def _ops(fn):
    """Nombres de los operadores que ejecuta fn(), vistos con torch.profiler."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return {event.key for event in prof.key_averages()}


needs_onednn = pytest.mark.skipif(not onednn_linear_works(), reason="este PyTorch no tiene la capa lineal de oneDNN")


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_fast_linear_usa_onednn_donde_funciona_y_da_lo_de_f_linear(dtype, tol):
    """Sin gradiente, en CPU, FastLinear multiplica con oneDNN si onednn_linear_works(dtype) lo confirma en esta
    CPU, y si no con F.linear (se ve en el perfil); en los dos casos da lo que F.linear, también con la GELU."""
    torch.manual_seed(0)
    linear = FastLinear(96, 80).to(dtype).eval()
    x = torch.randn(3, 5, 96, dtype=dtype)
    with torch.no_grad():
        used_onednn = "mkldnn::_linear_pointwise" in _ops(lambda: linear(x))
        y = linear(x)
        expected = torch.nn.functional.linear(x.float(), linear.weight.float(), linear.bias.float())
    assert used_onednn == onednn_linear_works(dtype)
    assert y.shape == (3, 5, 80) and y.dtype == dtype
    torch.testing.assert_close(y.float(), expected, rtol=tol, atol=tol)
    with torch.no_grad():
        y_gelu = linear(x, gelu=True)  # GELU dentro de la misma multiplicación (o justo después, con F.linear)
    torch.testing.assert_close(y_gelu.float(), torch.nn.functional.gelu(expected, approximate="tanh"),
                               rtol=tol, atol=tol)


def test_la_sonda_de_onednn_no_mueve_la_semilla():
    """Probar oneDNN (la primera vez que se usa cada tipo) no consume números aleatorios: no cambia lo que
    saldrá después de torch.manual_seed."""
    onednn_linear_works.cache_clear()
    before = torch.random.get_rng_state()
    onednn_linear_works(torch.float32), onednn_linear_works(torch.bfloat16)
    assert torch.equal(torch.random.get_rng_state(), before)


@needs_onednn
def test_fast_linear_con_gradiente_usa_f_linear():
    """Si hace falta el gradiente (entrenar), FastLinear usa F.linear y el gradiente llega a los pesos."""
    torch.manual_seed(0)
    linear = FastLinear(16, 8)
    x = torch.randn(2, 16)
    assert "mkldnn::_linear_pointwise" not in _ops(lambda: linear(x))
    linear(x).sum().backward()
    torch.testing.assert_close(linear.weight.grad, torch.ones(8, 1) * x.sum(0))
    with torch.no_grad():
        expected = torch.nn.functional.gelu(linear(x), approximate="tanh")
    torch.testing.assert_close(linear(x, gelu=True), expected)


def test_fast_linear_bfloat16_rehace_su_copia_si_cambia_la_matriz():
    """En bfloat16 la matriz reordenada para oneDNN (donde esta CPU la admite) se rehace si la matriz cambia
    (in situ o sustituida), y copy.deepcopy y torch.save funcionan (la copia reordenada no se copia)."""
    import copy
    import io

    torch.manual_seed(0)
    linear = FastLinear(32, 16, bias=False).to(torch.bfloat16).eval()
    x = torch.randn(1, 32, dtype=torch.bfloat16)

    def check():
        with torch.no_grad():
            torch.testing.assert_close(linear(x), torch.nn.functional.linear(x, linear.weight), rtol=2e-2, atol=2e-2)

    check()
    with torch.no_grad():
        linear.weight.mul_(-3)  # in situ: avanza el contador de versiones
    check()
    linear.load_state_dict({"weight": torch.randn(16, 32)})
    check()
    linear.weight = torch.nn.Parameter(torch.randn(16, 32, dtype=torch.bfloat16))  # otra matriz
    check()
    twin = copy.deepcopy(linear)
    torch.save(linear, io.BytesIO())
    with torch.no_grad():
        torch.testing.assert_close(twin(x), linear(x), rtol=0, atol=0)


@pytest.mark.parametrize("bad", [[[1, 2]], torch.tensor([1, 2]), "hola"])
def test_generate_fast_valida_idx_como_los_demas(tiny_cfg, bad):
    """generate_fast comprueba idx con check_generation_args: una lista o un tensor 1D dan el mismo error."""
    _, fast = _pair(tiny_cfg)
    with pytest.raises(ValueError, match=r"idx debe ser un tensor de ids de forma \(batch, num_tokens\)"):
        generate_fast(fast, bad, 3, context_size=16)


@pytest.mark.parametrize("kwargs,match", [({"max_new_tokens": -1}, "max_new_tokens"),
                                          ({"context_size": 0}, "context_size")])
def test_generate_fast_rechaza_argumentos_como_los_demas(tiny_cfg, kwargs, match):
    """max_new_tokens negativo o context_size nulo dan los errores de check_generation_args."""
    _, fast = _pair(tiny_cfg)
    args = {"max_new_tokens": 3, "context_size": 16, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate_fast(fast, torch.tensor([[1, 2]]), **args)


def test_generate_fast_comprueba_los_ids_una_vez_por_llamada(tiny_cfg, monkeypatch):
    """generate_fast comprueba el texto de partida una sola vez, no en cada token generado (comprobar los
    ids lee el menor y el mayor de la memoria); un id fuera del vocabulario sigue dando el error en español."""
    import utils.fast_gpt

    _, fast = _pair(tiny_cfg)
    calls = []
    check = utils.fast_gpt.check_token_ids
    monkeypatch.setattr(utils.fast_gpt, "check_token_ids", lambda *args: calls.append(1) or check(*args))
    for use_cache in (True, False):
        calls.clear()
        generate_fast(fast, torch.tensor([[1, 2, 3]]), 20, context_size=8, use_cache=use_cache)
        assert len(calls) == 1
    with pytest.raises(ValueError, match="fuera del vocabulario"):
        generate_fast(fast, torch.tensor([[1, tiny_cfg["vocab_size"]]]), 3, context_size=8)


def test_las_dos_caches_siguen_el_mismo_protocolo(tiny_cfg):
    """FastGPTModel funciona igual con KVCache que con FastKVCache, y forward_with_cache con las dos:
    len(cache) avanza cuando escribe el último bloque y los logits por partes son los de una pasada."""
    from utils.kv_cache import KVCache, forward_with_cache

    model, fast = _pair(tiny_cfg, seed=3)
    x = torch.randint(0, tiny_cfg["vocab_size"], (2, 12))
    with torch.no_grad():
        full = model(x)
        for run in (fast, lambda ids, cache: forward_with_cache(model, ids, cache)):
            for cache_cls in (KVCache, FastKVCache):
                cache = cache_cls(tiny_cfg["n_layers"], max_tokens=16)
                parts = []
                for a, b in [(0, 5), (5, 6), (6, 12)]:
                    parts.append(run(x[:, a:b], cache=cache) if run is fast else run(x[:, a:b], cache))
                    assert len(cache) == b
                assert (torch.cat(parts, dim=1) - full).abs().max().item() < 1e-5


def _logits_and_tokens(model, reference, idx, new_tokens=100):
    """Diferencia máxima de logits frente a reference sobre el texto de reference, y tokens generados."""
    tokens = generate_fast(reference, idx, new_tokens, context_size=reference.cfg["context_length"])
    with torch.no_grad():
        diff = (model(tokens).float() - reference(tokens)).abs().max().item()
    return diff, generate_fast(model, idx, new_tokens, context_size=reference.cfg["context_length"]), tokens


def test_bfloat16_cerca_de_float32(tiny_cfg):
    """En bfloat16 (pesos y activaciones) los logits se alejan poco de float32 y los tokens voraces
    coinciden casi siempre; el error es mucho mayor que en float32 (la prueba notaría un bfloat16 falso)."""
    import copy

    cfg = {**tiny_cfg, "context_length": 128}
    _, fast = _pair(cfg, seed=11)
    fast16 = copy.deepcopy(fast).to(torch.bfloat16)
    assert fast16.trf_blocks[0].fc.weight.dtype == torch.bfloat16
    idx = torch.randint(0, cfg["vocab_size"], (1, 4))
    diff, tokens16, tokens32 = _logits_and_tokens(fast16, fast, idx)
    assert 1e-4 < diff < 0.2
    assert (tokens16 == tokens32).float().mean().item() > 0.8


def test_int8_cerca_de_float32(tiny_cfg):
    """Con los pesos en int8 (una escala por fila) los logits se alejan poco y los tokens coinciden casi siempre."""
    from utils.quant import Int8Linear, quantize_int8

    cfg = {**tiny_cfg, "context_length": 128}
    _, fast = _pair(cfg, seed=12)
    q8 = quantize_int8(fast)
    assert isinstance(q8.trf_blocks[0].fc, Int8Linear) and isinstance(q8.out_head, Int8Linear)
    assert q8.trf_blocks[0].fc.weight_int8.dtype == torch.int8
    assert isinstance(fast.trf_blocks[0].fc, torch.nn.Linear)  # el original no cambia
    idx = torch.randint(0, cfg["vocab_size"], (1, 4))
    diff, tokens8, tokens32 = _logits_and_tokens(q8, fast, idx)
    assert 1e-4 < diff < 0.2
    assert (tokens8 == tokens32).float().mean().item() > 0.8


def test_cuantizar_filas_recupera_la_matriz():
    """quantize_rows: la matriz reconstruida (int8 × escala) está a menos de media escala de la original,
    y el mayor valor de cada fila pasa a ser ±127."""
    from utils.quant import quantize_rows

    torch.manual_seed(0)
    w = torch.randn(8, 16) * torch.arange(1, 9).float()[:, None]  # filas de escalas distintas
    q, scales = quantize_rows(w)
    assert q.dtype == torch.int8 and scales.shape == (8,)
    assert torch.all((q.float() * scales[:, None] - w).abs() <= scales[:, None] / 2 + 1e-6)
    assert torch.equal(q.abs().amax(dim=1), torch.full((8,), 127, dtype=torch.int8))


def test_int8_linear_da_lo_mismo_que_desempaquetar():
    """Int8Linear (kernel de PyTorch) da lo mismo que multiplicar por la matriz desempaquetada en bfloat16."""
    from utils.quant import Int8Linear

    torch.manual_seed(1)
    linear = torch.nn.Linear(64, 48)
    q = Int8Linear(linear)
    x = torch.randn(3, 5, 64)
    w = q.weight_int8.float() * q.scales.float()[:, None]
    expected = x.to(torch.bfloat16).float() @ w.t() + linear.bias
    torch.testing.assert_close(q(x), expected, atol=0.05, rtol=0.02)
    assert q(x).dtype == torch.float32 and q(x).shape == (3, 5, 48)


@pytest.mark.slow
def test_generate_fast_da_los_tokens_del_libro_con_124m(gpt124_seed123, tokenizer):
    """Con GPT_CONFIG_124M y torch.manual_seed(123), generate_fast da los tokens de generate_text_simple."""
    model = gpt124_seed123.eval()
    fast = fast_gpt_from_state_dict(model.state_dict(), model.cfg)
    idx = torch.tensor([tokenizer.encode("Hello, I am")])
    expected = generate_text_simple(model, idx, max_new_tokens=6, context_size=1024)
    assert torch.equal(generate_fast(fast, idx, 6, context_size=1024), expected)
