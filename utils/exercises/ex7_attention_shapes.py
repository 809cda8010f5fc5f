"""Ejercicio 7 del notebook 9: la forma de los pesos de atención y cuántos calcula el modelo en una pasada.

Las respuestas se comparan con lo que mide un bloque de verdad: un hook en el dropout de la
atención, que recibe los pesos de atención, anota su forma. El bloque se crea en el dispositivo meta,
sin memoria, así que la medida con la configuración de 124M es instantánea.
"""

import math

import torch

from utils.config import GPT_CONFIG_124M
from utils.exercises.common import (
    NotANumber,
    correct,
    reads_answer,
    to_count,
    to_shape,
    wrong,
    wrong_with_hint,
)
from utils.gpt import TransformerBlock

BATCH_SIZE, NUM_TOKENS = 2, 6  # el lote del enunciado: 2 textos de 6 tokens


def measure_attn_weights_shape(cfg=GPT_CONFIG_124M, batch_size=BATCH_SIZE, num_tokens=NUM_TOKENS):
    """Mide la forma de los pesos de atención de un bloque para un lote (batch_size, num_tokens).

    Parámetros:
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).
        batch_size: número de textos del lote.
        num_tokens: tokens de cada texto.

    Devuelve:
        la forma, como tupla de enteros.
    """
    with torch.device("meta"):
        block = TransformerBlock(cfg)
        x = torch.empty(batch_size, num_tokens, cfg["emb_dim"])
    shapes = []
    # att.dropout se aplica justo a los pesos de atención: su entrada es lo que buscamos
    handle = block.att.dropout.register_forward_hook(lambda _m, args, _out: shapes.append(tuple(args[0].shape)))
    try:
        block(x)
    finally:
        handle.remove()
    return shapes[0]


def _as_shape(answer):
    """Lee la forma como to_shape, pero sin aceptar texto: se pide una tupla, una lista o un torch.Size."""
    if not isinstance(answer, (tuple, list)):  # torch.Size también es una tupla
        raise NotANumber(f"se espera una tupla como (a, b, c), y he recibido {type(answer).__name__}")
    return to_shape(answer)


@reads_answer(_as_shape, "Escribe la forma como una tupla de enteros: {error}.")
def evaluate_attn_weights_shape(answer, cfg=GPT_CONFIG_124M):
    """Comprueba la forma de los pesos de atención (attn_weights) de un bloque con un lote de 2 textos de 6 tokens.

    Parámetros:
        answer: la forma, como tupla, lista o torch.Size.
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    expected = measure_attn_weights_shape(cfg)
    b, h, t, d, c = BATCH_SIZE, cfg["n_heads"], NUM_TOKENS, cfg["emb_dim"], cfg["context_length"]
    if answer == expected:
        return correct("¡Correcto! Cada cabeza calcula su propia matriz num_tokens × num_tokens: un peso por cada "
                       "par (token que pregunta, token al que mira).")
    hints = {
        (b, t, t): "te falta una dimensión: cada cabeza calcula sus propios pesos.",
        (h, t, t): "te falta la dimensión del lote: cada texto tiene sus propios pesos.",
        (b, t, h, t): "las cabezas van antes que los tokens: tras view, transpose(1, 2) las pone en la dimensión 1.",
        (b, h, t, d // h): "esa es la forma de las consultas (o claves, o valores) de cada cabeza; los pesos "
                           "comparan cada token con cada token.",
        (b, h, c, c): "la máscara causal se recorta a los tokens de la entrada (mask[:num_tokens, :num_tokens]); "
                      "los pesos no miden context_length × context_length.",
        (b, t, d): "esa es la forma de la entrada y de la salida de la atención, no la de sus pesos.",
        (b, h, t, d): "la última dimensión no es emb_dim: los pesos comparan cada token con cada token.",
    }
    if answer not in hints and len(answer) != len(expected):
        return wrong(f"Todavía no: los pesos de atención tienen {len(expected)} dimensiones y tu forma tiene "
                     f"{len(answer)}. Sigue las formas en MultiHeadAttention.forward: queries, keys, attn_scores.")
    return wrong_with_hint(answer, hints, "Todavía no: sigue las formas en MultiHeadAttention.forward, desde la "
                                          "entrada (batch, num_tokens, emb_dim) hasta attn_scores = queries @ "
                                          "keys.transpose(2, 3).")


@reads_answer(to_count, "Escribe la respuesta como un número entero: {error}.")
def evaluate_attn_weights_total(answer, cfg=GPT_CONFIG_124M):
    """Comprueba cuántos pesos de atención calcula el modelo entero (todos los bloques) en una pasada del lote.

    Parámetros:
        answer: el número de pesos (int, float entero, texto o tensor de un elemento).
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    per_block = math.prod(measure_attn_weights_shape(cfg))
    n, b, h, t = cfg["n_layers"], BATCH_SIZE, cfg["n_heads"], NUM_TOKENS
    expected = n * per_block
    if answer == expected:
        return correct("¡Correcto! Y casi la mitad valen 0: la máscara causal los tapa, pero se calculan igual. "
                       "Con los 1024 tokens del contexto completo serían unos 151 millones por texto.")
    visible = n * b * h * t * (t + 1) // 2
    hints = {
        per_block: f"ese es el número de un bloque; el modelo tiene n_layers={n} bloques y cada uno calcula los suyos.",
        visible: "has contado solo los pesos que la máscara no tapa; los tapados también se calculan (valen 0 tras "
                 "el softmax).",
        n * b * t * t: "te faltan las cabezas: cada una calcula sus propios pesos.",
        n * h * t * t: "te falta el lote: son 2 textos.",
        n * b * h * cfg["context_length"] ** 2: "los pesos miden num_tokens × num_tokens, no context_length × "
                                                "context_length.",
    }
    if per_block == n * b * t * t:  # con tantos bloques como cabezas (124M: 12 y 12) las dos cuentas coinciden
        hints[per_block] = ("ese número sale de un solo bloque, o de todos los bloques sin las cabezas (en el de "
                            "124M hay tantos bloques como cabezas): cada cabeza de cada bloque calcula sus pesos.")
    return wrong_with_hint(answer, hints, "Todavía no: multiplica las dimensiones de la forma de los pesos de un "
                                          "bloque y después piensa cuántos bloques hay.")

