# utils/config.py
"""Configuraciones de los cuatro tamaños de GPT-2 y su validación."""

from difflib import get_close_matches
from numbers import Integral, Real

GPT_CONFIG_124M = {
    "vocab_size": 50257,     # tamaño del vocabulario del tokenizador BPE de GPT-2
    "context_length": 1024,  # número máximo de tokens de entrada
    "emb_dim": 768,          # tamaño de cada vector de embedding
    "n_heads": 12,           # número de cabezas de atención
    "n_layers": 12,          # número de bloques transformer
    "drop_rate": 0.1,        # probabilidad de dropout (10 %)
    "qkv_bias": False,       # sesgo en las proyecciones de consulta, clave y valor
}

GPT_CONFIG_355M = {**GPT_CONFIG_124M, "emb_dim": 1024, "n_layers": 24, "n_heads": 16}
GPT_CONFIG_774M = {**GPT_CONFIG_124M, "emb_dim": 1280, "n_layers": 36, "n_heads": 20}
GPT_CONFIG_1558M = {**GPT_CONFIG_124M, "emb_dim": 1600, "n_layers": 48, "n_heads": 25}

GPT2_CONFIGS = {
    "gpt2-small (124M)": GPT_CONFIG_124M,
    "gpt2-medium (355M)": GPT_CONFIG_355M,
    "gpt2-large (774M)": GPT_CONFIG_774M,
    "gpt2-xl (1558M)": GPT_CONFIG_1558M,
}

REQUIRED_KEYS = ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers", "drop_rate", "qkv_bias")
POSITIVE_INT_KEYS = ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers")
# Nombres de las mismas medidas en otros códigos (Hugging Face, nanoGPT) que alguien puede traer por costumbre.
KEY_ALIASES = {
    "n_embd": "emb_dim", "d_model": "emb_dim", "hidden_size": "emb_dim",
    "n_ctx": "context_length", "n_positions": "context_length", "block_size": "context_length",
    "n_layer": "n_layers", "num_layers": "n_layers", "n_head": "n_heads", "num_heads": "n_heads",
    "dropout": "drop_rate", "bias": "qkv_bias",
}


def check_required_keys(cfg, keys):
    """Comprueba que la configuración tiene todas las claves de keys.

    Parámetros:
        cfg: diccionario de configuración.
        keys: las claves que deben estar.

    Devuelve:
        nada; lanza ValueError en español con las que faltan.
    """
    missing = [key for key in keys if key not in cfg]
    if missing:
        raise ValueError(
            f"A la configuración le faltan las claves {missing}; "
            f"parte de GPT_CONFIG_124M y cambia solo lo que necesites: {{**GPT_CONFIG_124M, ...}}."
        )


def check_config(cfg, extra_keys=()):
    """Comprueba que una configuración tiene las claves del modelo, ninguna más, y valores coherentes.

    Parámetros:
        cfg: diccionario como GPT_CONFIG_124M.
        extra_keys: claves propias que se aceptan además de las del modelo (un ejercicio que añade,
            por ejemplo, "drop_rate_attn"); las que empiezan por "drop_rate" se comprueban como
            probabilidades.

    Devuelve:
        el mismo diccionario, si es válido; si no, lanza ValueError o TypeError en español.
    """
    if not isinstance(cfg, dict):
        raise TypeError(
            f"La configuración debe ser un diccionario como GPT_CONFIG_124M, no {type(cfg).__name__}."
        )
    extra_keys = (extra_keys,) if isinstance(extra_keys, str) else tuple(extra_keys)
    accepted = REQUIRED_KEYS + tuple(k for k in extra_keys if k not in REQUIRED_KEYS)
    for key in cfg:
        # una clave que el modelo no lee se ignoraría en silencio: "dropout" dejaría drop_rate como estaba
        if key not in accepted:
            close = [KEY_ALIASES[key]] if key in KEY_ALIASES else get_close_matches(str(key), accepted, 1, 0.6)
            hint = f"; ¿querías decir {close[0]!r}? Cambia el nombre de la clave" if close else "; quítala"
            raise ValueError(
                f"La configuración tiene la clave {key!r}, que el modelo no usa{hint}. "
                f"Las claves que acepta son: {', '.join(accepted)}."
            )
    check_required_keys(cfg, REQUIRED_KEYS)
    for key in POSITIVE_INT_KEYS:
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
            fix = f" Escribe {int(value)}, sin decimales." if _is_whole_float(value) else ""
            raise ValueError(f"cfg['{key}'] debe ser un entero positivo, y vale {value!r}.{fix}")
    if cfg["emb_dim"] % cfg["n_heads"] != 0:
        emb_dim, n_heads = cfg["emb_dim"], cfg["n_heads"]
        suggestion = (emb_dim // n_heads + 1) * n_heads
        raise ValueError(
            f"emb_dim ({emb_dim}) debe ser divisible entre n_heads ({n_heads}); "
            f"prueba emb_dim={suggestion}."
        )
    if not isinstance(cfg["qkv_bias"], bool):
        raise ValueError(f"cfg['qkv_bias'] debe ser True o False, y vale {cfg['qkv_bias']!r}.")
    for key in [k for k in cfg if str(k).startswith("drop_rate")]:
        rate = cfg[key]
        if isinstance(rate, bool) or not isinstance(rate, Real) or not 0.0 <= rate < 1.0:
            raise ValueError(
                f"cfg['{key}'] debe ser una probabilidad en [0, 1), y vale {rate!r}; "
                f"por ejemplo 0.1 apaga un 10 % de los valores."
            )
    return cfg


def _is_whole_float(value):
    """Dice si value es un float positivo sin parte decimal (768.0), para sugerir escribirlo como entero."""
    return isinstance(value, float) and value > 0 and value.is_integer()
