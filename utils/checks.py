# utils/checks.py
"""Comprobaciones de la entrada: cada función lanza un error en español que dice qué falla y cómo arreglarlo.

Las clases y funciones de las lecciones llaman a estas comprobaciones con una sola línea, allí donde entra
la entrada (al construir un modelo, al empezar su forward, al generar o al entrenar), para que su código se
lea como el del libro.
"""

import math
from difflib import get_close_matches
from numbers import Integral, Real

import torch

# --- config.py ---
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


# --- attention.py ---
def check_sequence_input(x, emb_dim, context_length, layer):
    """Comprueba que x es un lote de secuencias (batch, num_tokens, emb_dim) que cabe en el contexto.

    Parámetros:
        x: la entrada de la capa.
        emb_dim: tamaño que debe tener la última dimensión.
        context_length: número máximo de tokens.
        layer: nombre de la capa para el mensaje, p. ej. "MultiHeadAttention".

    Devuelve:
        nada; lanza TypeError o ValueError en español que nombra la forma esperada.
    """
    expected = f"(batch, num_tokens, {emb_dim})"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer} espera un tensor de forma {expected}, no {type(x).__name__}.")
    if x.dim() != 3:
        hint = " Añade la dimensión del lote con x.unsqueeze(0)." if x.dim() == 2 else ""
        raise ValueError(f"{layer} espera una entrada de forma {expected} y ha recibido la forma "
                         f"{tuple(x.shape)}.{hint}")
    if x.shape[-1] != emb_dim:
        raise ValueError(f"{layer} espera una entrada de forma {expected} y ha recibido la forma "
                         f"{tuple(x.shape)}: la última dimensión debe medir {emb_dim}.")
    if x.shape[1] > context_length:
        raise ValueError(f"{layer} admite como máximo context_length={context_length} tokens y la entrada "
                         f"tiene {x.shape[1]}; recórtala, por ejemplo con x[:, -{context_length}:].")


def check_attention_args(d_in, d_out, context_length, dropout, num_heads):
    """Comprueba los tamaños de MultiHeadAttention y lanza ValueError en español si alguno no sirve."""
    sizes = {"d_in": d_in, "d_out": d_out, "context_length": context_length, "num_heads": num_heads}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
            raise ValueError(f"{name} debe ser un entero positivo, y vale {value!r}.")
    if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout debe ser una probabilidad en [0, 1), y vale {dropout!r}; por ejemplo 0.1.")
    if d_out % num_heads != 0:
        suggestion = (d_out // num_heads + 1) * num_heads
        raise ValueError(
            f"d_out ({d_out}) debe ser divisible entre num_heads ({num_heads}); "
            f"prueba d_out={suggestion}."
        )


# --- layers.py ---
def check_last_dim(x, expected, layer):
    """Comprueba que x es un tensor cuya última dimensión mide expected, o lanza un error en español.

    Parámetros:
        x: la entrada de la capa.
        expected: el tamaño que debe tener la última dimensión (emb_dim).
        layer: nombre de la capa para el mensaje, p. ej. "LayerNorm(768)".
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer} espera un tensor de forma (batch, num_tokens, {expected}), "
                        f"no {type(x).__name__}; conviértelo con torch.tensor(...).")
    if x.dim() == 0 or x.shape[-1] != expected:
        # sin esta comprobación, una última dimensión de 1 se extendería por difusión sin avisar
        raise ValueError(f"{layer} espera una entrada cuya última dimensión mida {expected}, como "
                         f"(batch, num_tokens, {expected}), y ha recibido la forma {tuple(x.shape)}. "
                         f"Revisa la forma de la entrada o crea la capa para el tamaño que tiene.")


# --- gpt.py ---
BLOCK_KEYS = ("emb_dim", "context_length", "n_heads", "drop_rate", "qkv_bias")  # las que lee TransformerBlock


def check_cfg_argument(name, cfg, unpacked, needed=()):
    """Comprueba que name recibió la configuración como un diccionario, no repartida: name(**cfg).

    Parámetros:
        name: "GPTModel" o "TransformerBlock", para el mensaje.
        cfg: lo que llegó como configuración.
        unpacked: los argumentos con nombre que llegaron además (vacío si todo va bien).
        needed: claves que deben estar en cfg (los valores los comprueba check_config o cada pieza).

    Devuelve:
        nada; lanza TypeError en español.
    """
    if unpacked:
        raise TypeError(
            f"{name} recibe la configuración entera, como un solo diccionario: {name}(cfg), "
            f"no {name}(**cfg). Ha recibido los argumentos sueltos {', '.join(unpacked)}."
        )
    if not isinstance(cfg, dict):
        raise TypeError(
            f"La configuración debe ser un diccionario como GPT_CONFIG_124M, no {type(cfg).__name__}: "
            f"{name}(GPT_CONFIG_124M)."
        )
    check_required_keys(cfg, needed)


def check_token_ids(in_idx, vocab_size, context_length):
    """Comprueba que la entrada del modelo es un lote válido de ids de tokens.

    Parámetros:
        in_idx: tensor de enteros de forma (batch, num_tokens).
        vocab_size: tamaño del vocabulario; los ids deben estar en [0, vocab_size).
        context_length: número máximo de tokens que admite el modelo.

    Devuelve:
        nada; lanza TypeError o ValueError en español si la entrada no sirve.
    """
    if not isinstance(in_idx, torch.Tensor):
        raise TypeError(
            f"La entrada debe ser un tensor de ids de tokens, no {type(in_idx).__name__}; "
            "usa torch.tensor([ids]) o text_to_token_ids(texto, tokenizer)."
        )
    if in_idx.dtype.is_floating_point or in_idx.dtype.is_complex or in_idx.dtype == torch.bool:
        raise TypeError(
            f"Los ids de tokens deben ser enteros, y el tensor es de tipo {in_idx.dtype}; "
            "conviértelo con .long()."
        )
    if in_idx.dim() != 2:
        hint = " Añade la dimensión del lote con .unsqueeze(0)." if in_idx.dim() == 1 else ""
        raise ValueError(
            f"La entrada debe tener forma (batch, num_tokens), y tiene forma {tuple(in_idx.shape)}.{hint}"
        )
    num_tokens = in_idx.shape[1]
    if in_idx.numel() == 0:
        raise ValueError(
            f"La entrada está vacía (forma {tuple(in_idx.shape)}); pasa al menos un texto con un token."
        )
    if num_tokens > context_length:
        raise ValueError(
            f"La entrada tiene {num_tokens} tokens y el modelo admite como máximo context_length="
            f"{context_length}; recórtala, por ejemplo con in_idx[:, -{context_length}:]."
        )
    if in_idx.is_meta:
        return  # un tensor en el dispositivo meta solo tiene forma y tipo, no valores que mirar
    low, high = int(in_idx.min()), int(in_idx.max())
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise ValueError(
            f"El id de token {bad} está fuera del vocabulario: los ids válidos van de 0 a "
            f"{vocab_size - 1}. ¿Usaste el mismo tokenizador que el modelo (gpt2)?"
        )


# --- generation.py ---
def model_context_length(model):
    """Devuelve cuántos tokens admite model como máximo, o None si no se puede saber.

    Parámetros:
        model: un GPTModel (lo lee de model.cfg) o cualquier modelo con un embedding de posiciones pos_emb.
    """
    cfg = getattr(model, "cfg", None)
    if isinstance(cfg, dict) and "context_length" in cfg:
        return cfg["context_length"]
    pos_emb = getattr(model, "pos_emb", None)
    return getattr(pos_emb, "num_embeddings", None)


def check_generation_args(model, idx, max_new_tokens, context_size):
    """Comprueba los argumentos comunes de todas las funciones de generación del curso.

    Parámetros:
        model: el modelo que genera; de él se leen su context_length y su dispositivo.
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar; debe ser un entero mayor o igual que 0.
        context_size: cuántos tokens ve el modelo en cada paso; un entero entre 1 y el context_length
            del modelo.

    Devuelve:
        nada; lanza TypeError o ValueError en español si algún argumento no sirve.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model debe ser un modelo de PyTorch, como GPTModel(cfg), no {type(model).__name__}; "
            "¿has cambiado el orden de los argumentos? Va primero: generate_text_simple(model, idx, ...)."
        )
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(
            f"max_new_tokens debe ser un entero mayor o igual que 0, y vale {max_new_tokens!r}."
        )
    if isinstance(context_size, bool) or not isinstance(context_size, int) or context_size <= 0:
        raise ValueError(
            f"context_size debe ser un entero positivo (p. ej. cfg['context_length']), y vale {context_size!r}."
        )
    context_length = model_context_length(model)
    if context_length is not None and context_size > context_length:
        raise ValueError(
            f"context_size ({context_size}) es mayor que el contexto del modelo (context_length="
            f"{context_length}): el modelo no tiene posiciones para tantos tokens. "
            f"Usa context_size={context_length} o menos."
        )
    if not isinstance(idx, torch.Tensor) or idx.dim() != 2:
        raise ValueError(
            "idx debe ser un tensor de ids de forma (batch, num_tokens); "
            "créalo con text_to_token_ids(texto, tokenizer) o con torch.tensor([ids])."
        )
    param = next(model.parameters(), None)
    if param is not None and idx.device != param.device:
        raise ValueError(
            f"idx está en el dispositivo {idx.device} y el modelo en {param.device}; "
            f"pon los dos en el mismo, por ejemplo con idx.to({str(param.device)!r})."
        )


def check_tokenizer(tokenizer):
    """Comprueba que tokenizer tiene encode y decode, como el de tiktoken.get_encoding("gpt2")."""
    if not (hasattr(tokenizer, "encode") and hasattr(tokenizer, "decode")):
        raise TypeError(
            f"tokenizer debe ser un tokenizador con encode y decode, no {type(tokenizer).__name__}; "
            "créalo con tokenizer = tiktoken.get_encoding('gpt2')."
        )


# --- sampling.py ---
def check_sampling_args(temperature, top_k=None, top_p=None, generator=None):
    """Comprueba los argumentos del muestreo antes de generar.

    Parámetros:
        temperature: número mayor o igual que 0 (0 significa decodificación voraz).
        top_k: None o un entero mayor o igual que 1.
        top_p: None o un número en (0, 1].
        generator: None o un torch.Generator.

    Devuelve:
        nada; lanza TypeError o ValueError en español si algún argumento no sirve.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, Real):
        raise TypeError(f"temperature debe ser un número, como 0.7, no {type(temperature).__name__}.")
    if not math.isfinite(temperature) or temperature < 0:
        raise ValueError(
            f"temperature debe ser un número mayor o igual que 0, y vale {temperature!r}; "
            "0 elige siempre el token más probable, 1 deja las probabilidades como están."
        )
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, Integral):
            raise TypeError(f"top_k debe ser un entero (o None), no {type(top_k).__name__}: por ejemplo top_k=50.")
        if top_k < 1:
            raise ValueError(
                f"top_k debe ser un entero mayor o igual que 1, y vale {top_k}; "
                "usa top_k=None para no filtrar."
            )
    if top_p is not None:
        if isinstance(top_p, bool) or not isinstance(top_p, Real):
            raise TypeError(f"top_p debe ser un número (o None), no {type(top_p).__name__}: por ejemplo top_p=0.9.")
        if not 0 < top_p <= 1:
            raise ValueError(
                f"top_p debe estar en (0, 1], y vale {top_p!r}; es la probabilidad acumulada que se "
                "conserva, por ejemplo top_p=0.9."
            )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator debe ser un torch.Generator (o None), no {type(generator).__name__}; "
            "créalo con torch.Generator().manual_seed(123)."
        )


# --- data.py ---
def check_positive_int(name, value):
    """Lanza ValueError en español si value no es un entero positivo."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} debe ser un entero positivo, y vale {value!r}.")


# --- training.py ---
def check_training_args(model, context_length, batch_size, lr):
    """Comprueba los argumentos del entrenamiento y lanza ValueError en español si alguno no sirve."""
    check_positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"La tasa de aprendizaje lr debe ser un número positivo, y vale {lr!r}; p. ej. 1e-3.")
    check_positive_int("context_length", context_length)
    model_context = model.cfg["context_length"]
    if context_length > model_context:
        raise ValueError(
            f"Las ventanas tienen context_length={context_length} tokens y el modelo admite como máximo "
            f"{model_context} (cfg['context_length']); usa ventanas de {model_context} tokens o menos, "
            "o crea el modelo con un context_length mayor."
        )
