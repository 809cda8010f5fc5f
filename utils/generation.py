# utils/generation.py
"""Generación voraz de texto y conversión entre texto e ids de tokens."""

import torch


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


def generate_text_simple(model, idx, max_new_tokens, context_size):
    """Añade max_new_tokens tokens a idx eligiendo cada vez el más probable (decodificación voraz).

    Parámetros:
        model: un modelo que devuelve logits (batch, num_tokens, vocab_size).
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar (0 o más).
        context_size: cuántos tokens, como máximo, ve el modelo en cada paso.

    Devuelve:
        tensor (batch, num_tokens + max_new_tokens) con la entrada seguida de los tokens nuevos.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]  # recorta al contexto que admite el modelo
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]  # solo importa la última posición: (batch, vocab_size)
        probas = torch.softmax(logits, dim=-1)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # (batch, 1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def check_tokenizer(tokenizer):
    """Comprueba que tokenizer tiene encode y decode, como el de tiktoken.get_encoding("gpt2")."""
    if not (hasattr(tokenizer, "encode") and hasattr(tokenizer, "decode")):
        raise TypeError(
            f"tokenizer debe ser un tokenizador con encode y decode, no {type(tokenizer).__name__}; "
            "créalo con tokenizer = tiktoken.get_encoding('gpt2')."
        )


def text_to_token_ids(text, tokenizer):
    """Convierte un texto en un tensor de ids de forma (1, num_tokens), listo para el modelo.

    Un texto vacío da un tensor de enteros de forma (1, 0): es la respuesta exacta (cero tokens), y si
    luego llega al modelo, el modelo explica que la entrada está vacía.
    """
    if not isinstance(text, str):
        hint = "; para varios textos, convierte cada uno por separado" if isinstance(text, (list, tuple)) else ""
        raise TypeError(f"text debe ser una cadena de texto, no {type(text).__name__}{hint}.")
    check_tokenizer(tokenizer)
    encoded = tokenizer.encode(text, allowed_special={"<|endoftext|>"})
    # dtype explícito: torch.tensor([]) sería float32, y los ids son enteros aunque no haya ninguno
    return torch.tensor(encoded, dtype=torch.long).unsqueeze(0)  # añade la dimensión del lote


def token_ids_to_text(token_ids, tokenizer):
    """Convierte un tensor de ids (1, num_tokens) o (num_tokens,) de vuelta en texto."""
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
    if token_ids.dim() == 2:
        if token_ids.shape[0] != 1:
            raise ValueError(
                f"token_ids tiene un lote de {token_ids.shape[0]} secuencias; "
                "convierte cada una por separado, p. ej. token_ids[0]."
            )
        token_ids = token_ids.squeeze(0)
    ids = token_ids.tolist()
    vocab_size = getattr(tokenizer, "n_vocab", None)
    bad = [i for i in ids if i < 0 or (vocab_size is not None and i >= vocab_size)]
    if bad:
        valid = f"van de 0 a {vocab_size - 1}" if vocab_size is not None else "no pueden ser negativos"
        raise ValueError(
            f"El id de token {bad[0]} no existe en el vocabulario del tokenizador: los ids válidos {valid}."
        )
    return tokenizer.decode(ids)
