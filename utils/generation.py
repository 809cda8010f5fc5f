# utils/generation.py
"""Generación voraz de texto y conversión entre texto e ids de tokens."""

import torch

from utils.checks import check_generation_args, check_tokenizer


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
