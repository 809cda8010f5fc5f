"""Cada entrada incorrecta produce un error claro en español, en el borde de nuestra API."""

import pytest
import torch

from utils.config import check_config
from utils.generation import generate_text_simple
from utils.gpt import GPTModel


def test_config_sin_claves(tiny_cfg):
    """Una configuración incompleta nombra las claves que faltan."""
    cfg = dict(tiny_cfg)
    del cfg["n_heads"], cfg["qkv_bias"]
    with pytest.raises(ValueError, match=r"le faltan las claves \['n_heads', 'qkv_bias'\]"):
        GPTModel(cfg)


def test_config_emb_dim_no_divisible(tiny_cfg):
    """emb_dim no divisible entre n_heads da el error con una sugerencia."""
    with pytest.raises(ValueError, match=r"emb_dim \(30\) debe ser divisible entre n_heads \(4\); prueba emb_dim=32"):
        GPTModel({**tiny_cfg, "emb_dim": 30})


@pytest.mark.parametrize("key, value", [("n_layers", 0), ("vocab_size", 10.5), ("drop_rate", 1.5)])
def test_config_valores_imposibles(tiny_cfg, key, value):
    """Valores sin sentido se rechazan nombrando la clave."""
    with pytest.raises(ValueError, match=key):
        check_config({**tiny_cfg, key: value})


def test_config_no_diccionario():
    """Pasar algo que no es un diccionario da un TypeError en español."""
    with pytest.raises(TypeError, match="debe ser un diccionario"):
        GPTModel([768, 12])


def test_ids_no_enteros(tiny_cfg):
    """Un tensor de floats no se acepta como ids de tokens."""
    with pytest.raises(TypeError, match=r"deben ser enteros.*\.long\(\)"):
        GPTModel(tiny_cfg)(torch.rand(1, 4))


def test_ids_fuera_del_vocabulario(tiny_cfg):
    """Un id mayor o igual que vocab_size se rechaza nombrando el id y el rango válido."""
    with pytest.raises(ValueError, match=r"id de token 100 está fuera del vocabulario.*de 0 a 99"):
        GPTModel(tiny_cfg)(torch.tensor([[1, 2, 100]]))


def test_ids_negativos(tiny_cfg):
    """Un id negativo también se rechaza."""
    with pytest.raises(ValueError, match=r"id de token -1 está fuera del vocabulario"):
        GPTModel(tiny_cfg)(torch.tensor([[-1, 2]]))


def test_entrada_mas_larga_que_el_contexto(tiny_cfg):
    """Más tokens que context_length da un error que dice cómo recortar."""
    with pytest.raises(ValueError, match=r"17 tokens.*context_length=16.*in_idx\[:, -16:\]"):
        GPTModel(tiny_cfg)(torch.zeros(1, 17, dtype=torch.long))


def test_entrada_sin_dimension_de_lote(tiny_cfg):
    """Un vector de ids sin lote sugiere unsqueeze(0)."""
    with pytest.raises(ValueError, match=r"unsqueeze\(0\)"):
        GPTModel(tiny_cfg)(torch.tensor([1, 2, 3]))


def test_max_new_tokens_negativo(tiny_cfg):
    """Generar un número negativo de tokens es un error, no una salida vacía silenciosa."""
    with pytest.raises(ValueError, match="max_new_tokens debe ser un entero mayor o igual que 0"):
        generate_text_simple(GPTModel(tiny_cfg), torch.tensor([[1]]), max_new_tokens=-1, context_size=16)
