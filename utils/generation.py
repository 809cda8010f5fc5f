# utils/generation.py
"""Generación voraz de texto y conversión entre texto e ids de tokens."""

import torch


def check_generation_args(idx, max_new_tokens, context_size):
    """Comprueba los argumentos comunes de las funciones de generación.

    Parámetros:
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar; debe ser un entero mayor o igual que 0.
        context_size: cuántos tokens ve el modelo en cada paso; debe ser un entero positivo.

    Devuelve:
        nada; lanza ValueError en español si algún argumento no sirve.
    """
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(
            f"max_new_tokens debe ser un entero mayor o igual que 0, y vale {max_new_tokens!r}."
        )
    if isinstance(context_size, bool) or not isinstance(context_size, int) or context_size <= 0:
        raise ValueError(
            f"context_size debe ser un entero positivo (p. ej. cfg['context_length']), y vale {context_size!r}."
        )
    if not isinstance(idx, torch.Tensor) or idx.dim() != 2:
        raise ValueError(
            "idx debe ser un tensor de ids de forma (batch, num_tokens); "
            "créalo con text_to_token_ids(texto, tokenizer) o con torch.tensor([ids])."
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
    check_generation_args(idx, max_new_tokens, context_size)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]  # recorta al contexto que admite el modelo
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]  # solo importa la última posición: (batch, vocab_size)
        probas = torch.softmax(logits, dim=-1)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # (batch, 1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def text_to_token_ids(text, tokenizer):
    """Convierte un texto en un tensor de ids de forma (1, num_tokens), listo para el modelo."""
    if not isinstance(text, str):
        raise TypeError(f"text debe ser una cadena de texto, no {type(text).__name__}.")
    encoded = tokenizer.encode(text, allowed_special={"<|endoftext|>"})
    return torch.tensor(encoded).unsqueeze(0)  # añade la dimensión del lote


def token_ids_to_text(token_ids, tokenizer):
    """Convierte un tensor de ids (1, num_tokens) o (num_tokens,) de vuelta en texto."""
    if not isinstance(token_ids, torch.Tensor) or token_ids.dim() not in (1, 2):
        raise TypeError(
            "token_ids debe ser un tensor de ids de forma (1, num_tokens) o (num_tokens,), "
            "como el que devuelve generate_text_simple."
        )
    if token_ids.dim() == 2:
        if token_ids.shape[0] != 1:
            raise ValueError(
                f"token_ids tiene un lote de {token_ids.shape[0]} secuencias; "
                "convierte cada una por separado, p. ej. token_ids[0]."
            )
        token_ids = token_ids.squeeze(0)
    return tokenizer.decode(token_ids.tolist())
