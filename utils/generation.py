# utils/generation.py
"""Generación voraz de texto y conversión entre texto e ids de tokens."""

import torch

from utils.checks import check_generation_args, check_ids_to_decode, check_text


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
    check_generation_args(model, idx, max_new_tokens, context_size)  # un error en español si alguno no sirve
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
    check_text(text, tokenizer)
    encoded = tokenizer.encode(text, allowed_special={"<|endoftext|>"})
    # dtype explícito: un texto vacío daría torch.tensor([]), que es float32, y los ids son enteros
    encoded_tensor = torch.tensor(encoded, dtype=torch.long).unsqueeze(0)  # añade la dimensión del lote
    return encoded_tensor


def token_ids_to_text(token_ids, tokenizer):
    """Convierte un tensor de ids (1, num_tokens) o (num_tokens,) de vuelta en texto."""
    check_ids_to_decode(token_ids, tokenizer)
    flat = token_ids.flatten()  # quita la dimensión del lote: (num_tokens,)
    return tokenizer.decode(flat.tolist())
