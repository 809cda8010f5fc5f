"""Pruebas del techo de la máquina: medidas con valores posibles y cuentas de bytes exactas."""

import copy

import pytest
import torch

from utils.fast_gpt import fast_gpt_from_state_dict
from utils.flops import count_parameters
from utils.gpt import GPTModel
from utils.quant import quantize_int8
from utils.roofline import (
    cpu_features,
    decode_ceiling,
    matmul_flops,
    matvec_bandwidth,
    measure_roofline,
    memory_bandwidth,
    weight_bytes_per_token,
)


def test_ancho_de_banda_en_un_rango_posible():
    """Leer memoria va a más de 0,5 GB/s (cualquier CPU de este siglo) y a menos de 2 TB/s."""
    bandwidth = memory_bandwidth(size_mib=64, reps=2)
    assert 0.5e9 < bandwidth < 2e12


@pytest.mark.parametrize("onednn", [True, False])
def test_matriz_por_vector_en_un_rango_posible(onednn):
    """La multiplicación matriz × vector (como FastLinear o como F.linear) lee memoria a una velocidad posible."""
    assert 0.2e9 < matvec_bandwidth(rows=4096, cols=4096, reps=2, onednn=onednn) < 2e12


def test_flops_de_matmul_en_un_rango_posible():
    """Una multiplicación 256³ en float32 va a más de 0,1 GFLOP/s y a menos de 100 TFLOP/s."""
    assert 1e8 < matmul_flops(n=256, reps=2) < 1e14


def test_el_reloj_mide_trabajo_real():
    """Leer el doble de memoria tarda más: la medida depende del tamaño (no es una constante)."""
    import time

    small, big = torch.ones(2**20), torch.ones(2**26)
    start = time.perf_counter()
    for _ in range(3):
        small.sum()
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(3):
        big.sum()
    assert time.perf_counter() - start > t_small


def test_techo_es_ancho_de_banda_entre_bytes():
    """20 GB/s leyendo 500 MB por token dan un techo de 40 tokens/s."""
    assert decode_ceiling(20e9, 500e6) == pytest.approx(40.0)


@pytest.mark.parametrize("bandwidth,nbytes", [(0, 1), (1e9, 0), (-1, 5)])
def test_techo_con_valores_no_positivos_da_error(bandwidth, nbytes):
    """Un ancho de banda o unos bytes nulos o negativos dan un ValueError en español."""
    with pytest.raises(ValueError, match="deben ser positivos"):
        decode_ceiling(bandwidth, nbytes)


def test_bytes_por_token_de_gptmodel(tiny_cfg):
    """GPTModel lee todos sus parámetros salvo las tablas de embeddings, de las que lee una fila."""
    model = GPTModel(tiny_cfg)
    E, V, C = tiny_cfg["emb_dim"], tiny_cfg["vocab_size"], tiny_cfg["context_length"]
    expected = (count_parameters(tiny_cfg) - V * E - C * E + 2 * E) * 4
    assert weight_bytes_per_token(model) == expected


def test_bytes_por_token_iguales_en_el_modelo_rapido_y_la_mitad_en_bfloat16(tiny_cfg):
    """FastGPTModel sin pesos compartidos lee lo mismo que GPTModel; en bfloat16, la mitad."""
    model = GPTModel(tiny_cfg)
    fast = fast_gpt_from_state_dict(model.state_dict(), tiny_cfg)
    assert weight_bytes_per_token(fast) == weight_bytes_per_token(model)
    assert weight_bytes_per_token(copy.deepcopy(fast).to(torch.bfloat16)) * 2 == weight_bytes_per_token(fast)


def test_bytes_por_token_con_pesos_compartidos_e_int8(tiny_cfg):
    """Con tok_emb = out_head la matriz se lee entera una sola vez; en int8 las matrices ocupan 1 byte
    por número (más una escala por fila), y los embeddings, normalizaciones y sesgos siguen en float32."""
    E, V, C, L = tiny_cfg["emb_dim"], tiny_cfg["vocab_size"], tiny_cfg["context_length"], tiny_cfg["n_layers"]
    sd = GPTModel(tiny_cfg).state_dict()
    sd["out_head.weight"] = sd["tok_emb.weight"]
    fast = fast_gpt_from_state_dict(sd, tiny_cfg, tie_weights=True)
    params = count_parameters(tiny_cfg, weight_tying=True)
    assert weight_bytes_per_token(fast) == (params - C * E + E) * 4
    q8 = quantize_int8(fast)
    matrices = L * 12 * E * E + V * E  # W_qkv, out_proj, fc, proj y out_head, 1 byte por número
    scales = L * (3 * E + E + 4 * E + E) + V  # una escala bfloat16 (2 bytes) por fila de cada matriz
    # float32: una fila de tok_emb (ya no comparte con out_head) y de pos_emb, los sesgos de out_proj,
    # fc y proj y las normalizaciones de cada bloque, y final_norm
    floats = 2 * E + L * (E + 4 * E + E + 4 * E) + 2 * E
    assert weight_bytes_per_token(q8) == matrices + 2 * scales + 4 * floats


def test_bytes_de_la_cache_kv(tiny_cfg):
    """Con 10 posiciones en la caché se leen además 2·n_layers·10·emb_dim números float32."""
    model = GPTModel(tiny_cfg)
    extra = weight_bytes_per_token(model, cached_tokens=10) - weight_bytes_per_token(model)
    assert extra == 2 * tiny_cfg["n_layers"] * 10 * tiny_cfg["emb_dim"] * 4


def test_bytes_iguales_a_hugging_face(random_hf_gpt2):
    """El GPT2LMHeadModel de Hugging Face (pesos compartidos) lee lo mismo que FastGPTModel con los suyos."""
    from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict

    hf = random_hf_gpt2(seed=0)
    cfg = gpt_config_from_hf(hf.config)
    fast = fast_gpt_from_state_dict(hf_to_gpt_state_dict(hf.state_dict(), cfg), cfg, tie_weights=True)
    assert weight_bytes_per_token(hf) == weight_bytes_per_token(fast)


def test_descripcion_de_la_cpu():
    """La descripción trae el nombre, la capacidad que usa PyTorch y si hay bfloat16 nativo."""
    cpu = cpu_features()
    assert cpu["torch_capability"] == torch.backends.cpu.get_cpu_capability()
    assert cpu["native_bf16"] == any(f in cpu["flags"] for f in ("avx512_bf16", "amx_bf16"))
    assert isinstance(cpu["name"], str) and cpu["name"]


def test_medida_completa_rapida():
    """measure_roofline da números positivos, y bfloat16 solo si la CPU lo tiene por hardware."""
    roof = measure_roofline(quick=True)
    assert roof.bandwidth > 0 and roof.matvec_bandwidth > 0 and roof.mkl_matvec_bandwidth > 0 and roof.fp32_flops > 0
    assert (roof.bf16_flops is not None) == roof.cpu["native_bf16"]
