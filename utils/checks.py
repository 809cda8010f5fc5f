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


# Nombres de nuestras claves en el config.json de GPT-2 de Hugging Face (vocab_size se llama igual);
# utils/weights.py traduce con ellos en los dos sentidos.
HF_CONFIG_NAMES = {"context_length": "n_positions", "emb_dim": "n_embd", "n_heads": "n_head",
                   "n_layers": "n_layer", "drop_rate": "resid_pdrop"}

# Nombres de las mismas medidas en otros códigos (Hugging Face, nanoGPT) que alguien puede traer por costumbre.
KEY_ALIASES = {
    **{theirs: ours for ours, theirs in HF_CONFIG_NAMES.items()},
    "d_model": "emb_dim", "hidden_size": "emb_dim", "n_ctx": "context_length", "block_size": "context_length",
    "num_layers": "n_layers", "num_heads": "n_heads", "dropout": "drop_rate", "bias": "qkv_bias",
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
def check_emb_dim(emb_dim, layer):
    """Comprueba que emb_dim es un entero positivo, el tamaño de los vectores que normaliza layer.

    Parámetros:
        emb_dim: lo que recibió la capa como tamaño (768 en GPT-2 pequeño).
        layer: nombre de la capa para el mensaje, p. ej. "LayerNorm".

    Devuelve:
        nada; lanza ValueError en español.
    """
    if isinstance(emb_dim, bool) or not isinstance(emb_dim, Integral) or emb_dim <= 0:
        hint = f"; si tienes la configuración, usa {layer}(cfg['emb_dim'])" if isinstance(emb_dim, dict) else ""
        raise ValueError(f"{layer} recibe el tamaño del embedding, un entero positivo como 768, "
                         f"y ha recibido {emb_dim!r}{hint}.")


# Las claves de la configuración que lee cada pieza que recibe cfg entera (GPTModel las comprueba todas
# con check_config; estas piezas, usadas sueltas, solo miran que estén las suyas).
LAYER_KEYS = {
    "FeedForward": ("emb_dim",),
    "TransformerBlock": ("emb_dim", "context_length", "n_heads", "drop_rate", "qkv_bias"),
}


def check_layer_config(cfg, layer):
    """Comprueba que layer recibió la configuración como un diccionario con las claves que lee.

    Parámetros:
        cfg: lo que llegó como configuración.
        layer: "FeedForward" o "TransformerBlock"; sus claves están en LAYER_KEYS.

    Devuelve:
        nada; lanza TypeError o ValueError en español. Los valores los comprueba cada pieza al crearse
        (MultiHeadAttention, LayerNorm) o check_config, en GPTModel.
    """
    if not isinstance(cfg, dict):
        raise TypeError(
            f"{layer} recibe la configuración entera, un diccionario como GPT_CONFIG_124M, "
            f"no {type(cfg).__name__}: usa {layer}(GPT_CONFIG_124M)."
        )
    check_required_keys(cfg, LAYER_KEYS[layer])


# --- gpt.py ---
def check_token_ids(in_idx, cfg):
    """Comprueba que la entrada del modelo es un lote válido de ids de tokens.

    Parámetros:
        in_idx: tensor de enteros de forma (batch, num_tokens).
        cfg: la configuración del modelo; los ids deben estar en [0, cfg["vocab_size"]) y caber en
            cfg["context_length"] tokens.

    Devuelve:
        nada; lanza TypeError o ValueError en español si la entrada no sirve.
    """
    vocab_size, context_length = cfg["vocab_size"], cfg["context_length"]
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


def check_text(text, tokenizer):
    """Comprueba los argumentos de text_to_token_ids: una cadena de texto y un tokenizador."""
    if not isinstance(text, str):
        hint = "; para varios textos, convierte cada uno por separado" if isinstance(text, (list, tuple)) else ""
        raise TypeError(f"text debe ser una cadena de texto, no {type(text).__name__}{hint}.")
    check_tokenizer(tokenizer)


def check_ids_to_decode(token_ids, tokenizer):
    """Comprueba los argumentos de token_ids_to_text: un tensor de ids de una sola secuencia y un tokenizador.

    Parámetros:
        token_ids: tensor de enteros de forma (1, num_tokens) o (num_tokens,).
        tokenizer: el tokenizador; si tiene n_vocab, los ids deben estar en [0, n_vocab).

    Devuelve:
        nada; lanza TypeError o ValueError en español.
    """
    check_tokenizer(tokenizer)
    if not isinstance(token_ids, torch.Tensor) or token_ids.dim() not in (1, 2):
        raise TypeError(
            "token_ids debe ser un tensor de ids de forma (1, num_tokens) o (num_tokens,), "
            "como el que devuelve generate_text_simple."
        )
    if token_ids.dtype.is_floating_point or token_ids.dtype.is_complex or token_ids.dtype == torch.bool:
        raise TypeError(
            f"token_ids debe ser un tensor de enteros y es de tipo {token_ids.dtype}; si son logits o "
            "probabilidades, elige antes un id por posición (p. ej. con argmax(dim=-1))."
        )
    if token_ids.dim() == 2 and token_ids.shape[0] != 1:
        raise ValueError(
            f"token_ids tiene un lote de {token_ids.shape[0]} secuencias; "
            "convierte cada una por separado, p. ej. token_ids[0]."
        )
    vocab_size = getattr(tokenizer, "n_vocab", None)
    ids = token_ids.flatten()
    bad = ids[(ids < 0) | (ids >= vocab_size)] if vocab_size is not None else ids[ids < 0]
    if bad.numel():
        valid = f"van de 0 a {vocab_size - 1}" if vocab_size is not None else "no pueden ser negativos"
        raise ValueError(
            f"El id de token {int(bad[0])} no existe en el vocabulario del tokenizador: los ids válidos {valid}."
        )


# --- sampling.py ---
def check_sampling_args(temperature, top_k=None, top_p=None, generator=None, eos_id=None, device=None):
    """Comprueba los argumentos del muestreo antes de generar.

    Parámetros:
        temperature: número mayor o igual que 0 (0 significa decodificación voraz).
        top_k: None o un entero mayor o igual que 1.
        top_p: None o un número en (0, 1].
        generator: None o un torch.Generator, en el mismo tipo de dispositivo que device.
        eos_id: None o un id de token (entero mayor o igual que 0).
        device: el dispositivo de los ids de partida, para comparar con el del generador.

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
    if eos_id is not None and (isinstance(eos_id, bool) or not isinstance(eos_id, Integral) or eos_id < 0):
        raise ValueError(f"eos_id debe ser None o un id de token (entero >= 0), y vale {eos_id!r}; "
                         "el de GPT-2 es 50256 (<|endoftext|>).")
    if generator is not None and device is not None and generator.device.type != torch.device(device).type:
        raise ValueError(
            f"generator está en {generator.device} e idx en {device}; "
            f"créalo en el mismo dispositivo: torch.Generator(device={str(device)!r})."
        )


# --- data.py ---
def check_positive_int(name, value):
    """Lanza ValueError en español si value no es un entero positivo."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} debe ser un entero positivo, y vale {value!r}.")


# --- training.py ---
def check_training_args(model, train_loader, total_steps, eval_freq, eval_iters, max_lr):
    """Comprueba los argumentos de train_model y lanza ValueError en español si alguno no sirve.

    Parámetros:
        model: el modelo, o el modelo envuelto en DistributedDataParallel (se mira su cfg).
        train_loader: el DataLoader de entrenamiento; sus ventanas no pueden ser más largas que el contexto.
        total_steps, eval_freq: enteros positivos.
        eval_iters: entero positivo o None (todos los lotes).
        max_lr: tasa de aprendizaje máxima, un número positivo.
    """
    check_positive_int("total_steps", total_steps)
    check_positive_int("eval_freq", eval_freq)
    if eval_iters is not None:
        check_positive_int("eval_iters", eval_iters)
    if isinstance(max_lr, bool) or not isinstance(max_lr, Real) or not math.isfinite(max_lr) or max_lr <= 0:
        raise ValueError(f"La tasa de aprendizaje max_lr debe ser un número positivo, y vale {max_lr!r}; p. ej. 1e-3.")
    context_length = len(train_loader.dataset[0][0])  # tokens de cada ventana de entrada
    model_context = getattr(model, "module", model).cfg["context_length"]
    if context_length > model_context:
        raise ValueError(
            f"Las ventanas tienen context_length={context_length} tokens y el modelo admite como máximo "
            f"{model_context} (cfg['context_length']); usa ventanas de {model_context} tokens o menos, "
            "o crea el modelo con un context_length mayor."
        )


# --- data.py, widgets.py y las órdenes (utils/train.py): entradas de quien entrena y explora ---
def check_token_sequence(token_ids, name="token_ids"):
    """Comprueba que token_ids es una secuencia 1-D de ids enteros (una lista o un tensor), no un texto.

    Parámetros:
        token_ids: lo que llegó como ids, p. ej. tokenizer.encode(texto).
        name: nombre del argumento para el mensaje.

    Devuelve:
        nada; lanza TypeError o ValueError en español.
    """
    fix = f"codifica antes el texto: {name} = tokenizer.encode(texto)"
    if isinstance(token_ids, str | bytes):
        raise TypeError(f"{name} debe ser una lista o un tensor de ids de tokens, no un texto; {fix}.")
    try:
        ids = torch.as_tensor(token_ids)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"{name} debe ser una lista o un tensor 1-D de ids enteros, no {type(token_ids).__name__}; {fix}."
        ) from None
    if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise TypeError(f"Los ids de {name} deben ser enteros, y son de tipo {ids.dtype}; {fix}.")
    if ids.dim() != 1:
        raise ValueError(
            f"{name} debe ser una secuencia 1-D de ids (todo el corpus seguido), y tiene forma "
            f"{tuple(ids.shape)}; aplánala con .flatten()."
        )


def check_compact_ids(ids, n_vocab):
    """Comprueba que cada id es un entero de un vocabulario de n_vocab tokens: de 0 a n_vocab - 1.

    Un id negativo también es un error: en Python, vocab[-1] daría el último token, que es otro.

    Parámetros:
        ids: lista de ids (p. ej. out[0].tolist()).
        n_vocab: tamaño del vocabulario.
    """
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, Integral):
            raise TypeError(
                f"Los ids de tokens deben ser enteros, y hay un {type(i).__name__} ({i!r}); "
                "pasa una lista de enteros, p. ej. out[0].tolist()."
            )
        if not 0 <= i < n_vocab:
            why = "es negativo" if i < 0 else "no está en el vocabulario"
            raise ValueError(
                f"El id de token {i} {why}: los ids válidos van de 0 a {n_vocab - 1}. "
                "¿Vienen de un modelo con otro vocabulario?"
            )


def check_layer_head(cfg, layer, head):
    """Comprueba que la capa y la cabeza que se quieren ver existen en un modelo con la configuración cfg."""
    for what, value, count, key in (("capa", layer, cfg["n_layers"], "n_layers"),
                                    ("cabeza", head, cfg["n_heads"], "n_heads")):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise TypeError(f"La {what} es un número entero, de 0 a {count - 1}, no {value!r}.")
        if not 0 <= value < count:
            raise ValueError(
                f"La {what} {value} no existe: el modelo tiene {key}={count}, numeradas de 0 a {count - 1}."
            )


def check_prompt(prompt):
    """Comprueba que el texto de partida es un texto no vacío."""
    if not isinstance(prompt, str):
        raise TypeError(f"El texto de partida debe ser un texto (str), no {type(prompt).__name__}.")
    if not prompt:
        raise ValueError("El texto de partida está vacío: escribe al menos una palabra.")


def check_writable_path(path, option="--out", suffixes=(".safetensors", ".json")):
    """Comprueba, antes de empezar un trabajo largo, que se pueden escribir los ficheros de la ruta path.

    Crea la carpeta si falta y escribe y borra un fichero de prueba en ella: así una ruta que no sirve se
    descubre al empezar, no en el primer punto de control tras minutos de entrenamiento.

    Parámetros:
        path: la ruta, p. ej. "checkpoints/gpt" (sin extensión: los ficheros son path.safetensors y path.json).
        option: cómo se llama la ruta para quien la escribió (la opción de la orden).
        suffixes: extensiones de los ficheros que se escribirán ("" es path tal cual).
    """
    import tempfile
    from pathlib import Path

    path = Path(path)
    if path.name in ("", ".", "..") or path.is_dir():  # los ficheros irían junto a la carpeta, no dentro
        example = path / ("gpt" if ".json" in suffixes else "corpus.txt")
        raise ValueError(f"{option} {str(path)!r} es una carpeta; añade el nombre del fichero, p. ej. "
                         f"{option} {example}.")
    for suffix in suffixes:
        target = path.with_suffix(suffix) if suffix else path
        if target.is_dir():
            raise ValueError(f"{option}: {str(target)!r} es una carpeta; elige otro nombre.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise OSError(
            f"{option}: no se puede escribir en la carpeta {str(path.parent)!r} ({err.strerror or err}); "
            f"elige una carpeta tuya, p. ej. {option} checkpoints/gpt."
        ) from None
