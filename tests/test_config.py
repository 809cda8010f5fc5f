"""Pruebas de utils/config.py: los tamaños de GPT-2 y check_config, que valida una configuración una vez."""

import numpy as np
import pytest

from utils.checks import REQUIRED_KEYS, check_config
from utils.config import GPT2_CONFIGS, GPT_CONFIG_124M


@pytest.mark.parametrize("name", list(GPT2_CONFIGS))
def test_los_cuatro_tamanos_son_validos(name):
    """Las cuatro configuraciones publicadas pasan la validación y se devuelven sin copiar."""
    cfg = GPT2_CONFIGS[name]
    assert check_config(cfg) is cfg


def test_no_es_un_diccionario():
    """Una lista en lugar de un diccionario es un TypeError que nombra el tipo recibido."""
    with pytest.raises(TypeError, match="debe ser un diccionario como GPT_CONFIG_124M, no list"):
        check_config([768, 12])


def test_faltan_claves():
    """Las claves que faltan se nombran, en el orden de GPT_CONFIG_124M."""
    cfg = {k: v for k, v in GPT_CONFIG_124M.items() if k not in ("n_heads", "qkv_bias")}
    with pytest.raises(ValueError, match=r"le faltan las claves \['n_heads', 'qkv_bias'\]"):
        check_config(cfg)


@pytest.mark.parametrize("key, fix", [
    ("dropout", "drop_rate"), ("drop_rate_atn", "drop_rate"), ("n_layer", "n_layers"),
    ("context_len", "context_length"), ("n_embd", "emb_dim"), ("num_heads", "n_heads"),
])
def test_clave_desconocida_con_sugerencia(key, fix):
    """Una clave que el modelo no usa es un error (no se ignora) que sugiere la clave parecida."""
    with pytest.raises(ValueError, match=rf"'{key}', que el modelo no usa; ¿querías decir '{fix}'\?"):
        check_config({**GPT_CONFIG_124M, key: 0.2})


def test_clave_desconocida_nombra_las_aceptadas():
    """El mensaje de una clave desconocida lista todas las claves que se aceptan."""
    with pytest.raises(ValueError) as info:
        check_config({**GPT_CONFIG_124M, "temperatura": 0.7})
    message = str(info.value)
    assert "'temperatura', que el modelo no usa; quítala" in message
    assert all(key in message for key in REQUIRED_KEYS)


def test_clave_renombrada_se_explica_antes_que_la_que_falta():
    """Si se escribe n_layer en lugar de n_layers, el error habla de la errata, no solo de la que falta."""
    cfg = {k: v for k, v in GPT_CONFIG_124M.items() if k != "n_layers"}
    cfg["n_layer"] = 6
    with pytest.raises(ValueError, match="¿querías decir 'n_layers'"):
        check_config(cfg)


def test_extra_keys_acepta_claves_propias():
    """Un ejercicio puede ampliar las claves aceptadas, y la errata en una de ellas sugiere la suya."""
    extra = ("drop_rate_emb", "drop_rate_attn", "drop_rate_shortcut")
    cfg = {**GPT_CONFIG_124M, "drop_rate_emb": 0.2, "drop_rate_attn": 0.0}
    assert check_config(cfg, extra_keys=extra) is cfg
    with pytest.raises(ValueError, match="que el modelo no usa"):
        check_config(cfg)  # sin extra_keys, las mismas claves son un error
    with pytest.raises(ValueError, match="¿querías decir 'drop_rate_attn'"):
        check_config({**GPT_CONFIG_124M, "drop_rate_atn": 0.1}, extra_keys=extra)
    with pytest.raises(ValueError, match="que el modelo no usa"):
        check_config({**cfg, "drop_rate_shortcut": 0.1}, extra_keys="drop_rate_emb")  # una sola clave, como str


def test_extra_keys_de_dropout_son_probabilidades():
    """Las claves extra que empiezan por drop_rate se comprueban como probabilidades."""
    with pytest.raises(ValueError, match=r"cfg\['drop_rate_attn'\] debe ser una probabilidad en \[0, 1\)"):
        check_config({**GPT_CONFIG_124M, "drop_rate_attn": 1.0}, extra_keys=("drop_rate_attn",))


@pytest.mark.parametrize("key", ["vocab_size", "context_length", "emb_dim", "n_heads", "n_layers"])
@pytest.mark.parametrize("value", [0, -1, 2.5, "768", True, None])
def test_enteros_positivos(key, value):
    """vocab_size, context_length, emb_dim, n_heads y n_layers son enteros positivos (un bool no vale)."""
    with pytest.raises(ValueError, match=rf"cfg\['{key}'\] debe ser un entero positivo"):
        check_config({**GPT_CONFIG_124M, key: value})


def test_entero_escrito_con_decimales_sugiere_quitarlos():
    """emb_dim=768.0 se rechaza y el mensaje dice cómo escribirlo."""
    with pytest.raises(ValueError, match="Escribe 768, sin decimales"):
        check_config({**GPT_CONFIG_124M, "emb_dim": 768.0})


def test_entero_de_numpy_se_acepta():
    """Un entero de NumPy (por ejemplo, leído de un fichero) es un entero válido."""
    cfg = {**GPT_CONFIG_124M, "n_layers": np.int64(6)}
    assert check_config(cfg) is cfg


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, float("nan"), "0.1", True])
def test_drop_rate_fuera_de_rango(value):
    """drop_rate es un número en [0, 1): 1.0 apagaría todo, un texto o un bool no es una probabilidad."""
    with pytest.raises(ValueError, match=r"cfg\['drop_rate'\] debe ser una probabilidad en \[0, 1\)"):
        check_config({**GPT_CONFIG_124M, "drop_rate": value})


@pytest.mark.parametrize("value", [0.0, 0, 0.5])
def test_drop_rate_valido(value):
    """0 (sin dropout, entero o float) y valores intermedios son válidos."""
    check_config({**GPT_CONFIG_124M, "drop_rate": value})


@pytest.mark.parametrize("value", ["no", 0, 1, None])
def test_qkv_bias_no_booleano(value):
    """qkv_bias tiene que ser True o False: "no" o 0 se rechazan."""
    with pytest.raises(ValueError, match=r"cfg\['qkv_bias'\] debe ser True o False"):
        check_config({**GPT_CONFIG_124M, "qkv_bias": value})


def test_emb_dim_no_divisible_entre_n_heads():
    """emb_dim no divisible entre n_heads da el error con el múltiplo siguiente como sugerencia."""
    message = r"emb_dim \(770\) debe ser divisible entre n_heads \(12\); prueba emb_dim=780"
    with pytest.raises(ValueError, match=message):
        check_config({**GPT_CONFIG_124M, "emb_dim": 770})
