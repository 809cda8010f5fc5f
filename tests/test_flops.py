"""Las fórmulas de parámetros, FLOPs y memoria coinciden exactamente con lo que mide PyTorch."""

import pytest
import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M
from utils.flops import (
    activation_bytes,
    count_flops,
    count_parameters,
    flops_per_token,
    forward_flops,
    kv_cache_bytes,
    logits_bytes,
    matmul_parameters,
    measure_activation_bytes,
    optimizer_state_bytes,
    training_flops,
    weights_bytes,
)
from utils.gpt import GPTModel

VARIANTES = {
    "diminuta": {},
    "con_sesgo_qkv": {"qkv_bias": True, "n_layers": 3},
    "mas_cabezas": {"n_heads": 8, "emb_dim": 64},
    "con_dropout": {"drop_rate": 0.1},
}
ENTRADAS = [(1, 1), (2, 7), (3, 16)]  # (batch, num_tokens)


@pytest.fixture(params=sorted(VARIANTES))
def cfg(request, tiny_cfg):
    return {**tiny_cfg, **VARIANTES[request.param]}


def test_parametros_iguales_a_los_del_modelo(cfg):
    """count_parameters da lo mismo que sumar numel() de los parámetros de GPTModel."""
    model = GPTModel(cfg)
    assert count_parameters(cfg) == sum(p.numel() for p in model.parameters())


def test_parametros_de_gpt2_124m():
    """Los números del libro: 163 009 536 sin pesos compartidos, 124 412 160 compartiéndolos."""
    assert count_parameters(GPT_CONFIG_124M) == 163_009_536
    assert count_parameters(GPT_CONFIG_124M, weight_tying=True) == 124_412_160
    # los pesos originales de GPT-2 llevan sesgo en consulta, clave y valor: 124 439 808
    assert count_parameters({**GPT_CONFIG_124M, "qkv_bias": True}, weight_tying=True) == 124_439_808


def test_parametros_de_124m_en_meta():
    """La fórmula coincide con el modelo de 124M completo, creado en 'meta' para no reservar memoria."""
    with torch.device("meta"):
        model = GPTModel(GPT_CONFIG_124M)
    assert count_parameters(GPT_CONFIG_124M) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("batch_size, num_tokens", ENTRADAS)
def test_flops_iguales_al_contador_en_cpu(cfg, batch_size, num_tokens):
    """forward_flops es exactamente lo que cuenta FlopCounterMode ejecutando el modelo en CPU."""
    total, _ = count_flops(cfg, num_tokens, batch_size, device="cpu")
    assert total == forward_flops(cfg, num_tokens, batch_size)


@pytest.mark.parametrize("backward", [False, True])
def test_contar_en_meta_da_lo_mismo_que_ejecutar_en_cpu(cfg, backward):
    """count_flops en 'meta' (sin datos ni cálculos) cuenta las mismas operaciones, una a una, que en CPU."""
    meta_total, meta_by_op = count_flops(cfg, 9, 2, device="meta", backward=backward)
    cpu_total, cpu_by_op = count_flops(cfg, 9, 2, device="cpu", backward=backward)
    assert meta_by_op == cpu_by_op and meta_total == cpu_total


def test_el_contador_pasa_por_la_forward_del_modelo(tiny_cfg, monkeypatch):
    """count_flops ejecuta GPTModel.forward (no una copia): si la forward cambia, la cuenta cambia con ella."""
    calls = []
    original = GPTModel.forward

    def spy(self, in_idx):
        calls.append(tuple(in_idx.shape))
        return original(self, in_idx)

    monkeypatch.setattr(GPTModel, "forward", spy)
    count_flops(tiny_cfg, 5, 3)
    assert calls == [(3, 5)]


def test_flops_iguales_al_contador_en_meta_124m_y_355m():
    """Con los tamaños reales (en 'meta', sin calcular nada), la fórmula coincide exactamente."""
    for cfg, num_tokens in [(GPT_CONFIG_124M, 1024), (GPT_CONFIG_124M, 8), (GPT_CONFIG_355M, 64)]:
        assert count_flops(cfg, num_tokens)[0] == forward_flops(cfg, num_tokens)


def test_desglose_por_operacion(tiny_cfg):
    """bmm son solo los dos productos de la atención: 4·n_layers·batch·num_tokens²·emb_dim."""
    _, by_op = count_flops(tiny_cfg, 10, 2)
    E, L = tiny_cfg["emb_dim"], tiny_cfg["n_layers"]
    assert by_op["bmm"] == 4 * L * 2 * 10 * 10 * E
    assert sum(by_op.values()) == forward_flops(tiny_cfg, 10, 2)


@pytest.mark.parametrize("batch_size, num_tokens", ENTRADAS)
def test_entrenamiento_es_el_triple(cfg, batch_size, num_tokens):
    """Pasada hacia delante y retropropagación cuentan exactamente 3 veces los FLOPs de la primera."""
    total, _ = count_flops(cfg, num_tokens, batch_size, device="cpu", backward=True)
    assert total == training_flops(cfg, num_tokens, batch_size)


def test_flops_por_token_crecen_con_el_contexto():
    """Por token: 2·(pesos de matrices) fijos más 4·n_layers·emb_dim por cada token de contexto."""
    base = 2 * matmul_parameters(GPT_CONFIG_124M)
    assert flops_per_token(GPT_CONFIG_124M, 1) == base + 4 * 12 * 768
    assert flops_per_token(GPT_CONFIG_124M, 1024) - flops_per_token(GPT_CONFIG_124M, 512) == 4 * 12 * 768 * 512


@pytest.mark.parametrize("batch_size, num_tokens", ENTRADAS)
def test_activaciones_iguales_a_las_guardadas_por_autograd(cfg, batch_size, num_tokens):
    """activation_bytes da exactamente los bytes que autograd guarda para la retropropagación."""
    torch.manual_seed(123)
    model = GPTModel(cfg).train()
    in_idx = torch.randint(0, cfg["vocab_size"], (batch_size, num_tokens))
    assert activation_bytes(cfg, num_tokens, batch_size) == measure_activation_bytes(model, in_idx)


def test_sin_gradientes_no_se_guardan_activaciones(tiny_cfg):
    """Control: bajo torch.no_grad() autograd no guarda nada, y la medida lo ve (la prueba puede fallar)."""
    model = GPTModel(tiny_cfg)
    with torch.no_grad():
        assert measure_activation_bytes(model, torch.zeros(1, 8, dtype=torch.long)) == 0


def test_cache_kv_igual_a_las_claves_y_valores_del_modelo(cfg):
    """kv_cache_bytes suma lo que producen W_key y W_value en todos los bloques (lo que guardaría la caché)."""
    model = GPTModel(cfg).eval()
    sizes = []
    for block in model.trf_blocks:
        for layer in (block.att.W_key, block.att.W_value):
            layer.register_forward_hook(lambda mod, args, out: sizes.append(out.numel() * out.element_size()))
    with torch.no_grad():
        model(torch.zeros(2, 11, dtype=torch.long))
    assert kv_cache_bytes(cfg, 11, batch_size=2) == sum(sizes)


def test_memoria_de_pesos_y_logits(tiny_cfg):
    """Pesos: parámetros por bytes; logits: el tamaño real del tensor que devuelve el modelo."""
    model = GPTModel(tiny_cfg)
    assert weights_bytes(tiny_cfg) == sum(p.numel() * p.element_size() for p in model.parameters())
    assert weights_bytes(tiny_cfg, bytes_per_param=2) * 2 == weights_bytes(tiny_cfg)
    with torch.no_grad():
        logits = model(torch.zeros(3, 5, dtype=torch.long))
    assert logits_bytes(tiny_cfg, 5, 3) == logits.numel() * logits.element_size()


def test_estado_de_adamw_son_dos_tensores_por_peso(tiny_cfg):
    """optimizer_state_bytes coincide con el estado real de AdamW tras un paso (sin los contadores 'step')."""
    model = GPTModel(tiny_cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.zeros(1, 4, dtype=torch.long)).sum().backward()
    optimizer.step()
    state = sum(t.numel() * t.element_size() for s in optimizer.state.values() for k, t in s.items() if k != "step")
    assert optimizer_state_bytes(tiny_cfg) == state
