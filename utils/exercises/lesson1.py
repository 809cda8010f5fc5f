"""Preguntas «¿Lo has entendido?» del notebook 1: la forma de los logits y el tamaño de una tabla de embeddings.

La forma se lee con `to_shape`, de common.py, que acepta una tupla, una lista, un torch.Size o un texto.
"""

import torch
import torch.nn as nn

from utils.config import GPT_CONFIG_124M
from utils.exercises.common import correct, reads_answer, to_count, to_shape, wrong_with_hint

BATCH_SIZE, NUM_TOKENS = 3, 6  # el lote de la pregunta 1: 3 textos de 6 tokens
NEW_CONTEXT_LENGTH = 2048  # la longitud de contexto de la pregunta 2


def logits_shape(cfg=GPT_CONFIG_124M, batch_size=BATCH_SIZE, num_tokens=NUM_TOKENS):
    """Devuelve la forma de los logits para un lote (batch_size, num_tokens): una puntuación por token del
    vocabulario en cada posición de cada texto."""
    return (batch_size, num_tokens, cfg["vocab_size"])


@reads_answer(to_shape, "Escribe la forma como una tupla de enteros, por ejemplo (a, b, c): {error}.")
def evaluate_logits_shape(answer, cfg=GPT_CONFIG_124M):
    """Comprueba la forma de los logits de DummyGPTModel para un lote de 3 textos de 6 tokens.

    Parámetros:
        answer: la forma, como tupla, lista, torch.Size o texto.
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    b, t, v, d, c = BATCH_SIZE, NUM_TOKENS, cfg["vocab_size"], cfg["emb_dim"], cfg["context_length"]
    if answer == logits_shape(cfg):
        return correct("¡Correcto! Una fila por texto, una posición por token de entrada y una puntuación por "
                       "cada token del vocabulario.")
    hints = {
        (b, t, d): "esa es la forma de los vectores que recorren los bloques; la capa de salida convierte cada "
                   "uno en otra cosa.",
        (b, t): "esa es la forma de la entrada, los ids; el modelo devuelve mucho más por cada posición.",
        (b, v): "el modelo no da una sola salida por texto: da una por cada posición de la entrada.",
        (t, b, v): "revisa el orden de las dimensiones: primero va el lote y después los tokens.",
        (2, 4, v): "esa es la forma del lote del notebook; la pregunta habla de 3 textos de 6 tokens.",
        (b, t, c): "context_length es el máximo de tokens que el modelo puede leer, no el número de "
                   "puntuaciones que da en cada posición.",
        (b * t, v): "el modelo no junta el lote y los tokens en una sola dimensión.",
        (b, t, v - 1): "cuenta bien el vocabulario: hay una puntuación por cada uno de los vocab_size tokens.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Repasa la sección «Qué significa la forma»: qué recorre cada "
                                          "dimensión de los logits y de qué tamaño es cada una en este lote.")


def pos_emb_params(cfg=GPT_CONFIG_124M, context_length=NEW_CONTEXT_LENGTH):
    """Cuenta de verdad los parámetros de la tabla de embeddings de posición (en el dispositivo meta)."""
    with torch.device("meta"):
        table = nn.Embedding(context_length, cfg["emb_dim"])
    return sum(p.numel() for p in table.parameters())


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_pos_emb_params(answer, cfg=GPT_CONFIG_124M):
    """Comprueba cuántos parámetros tiene pos_emb si context_length pasa de 1024 a 2048.

    Parámetros:
        answer: el número de parámetros (entero, texto como "1 572 864" o tensor de un elemento).
        cfg: configuración del modelo de partida (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    expected = pos_emb_params(cfg)
    d, n, v = cfg["emb_dim"], NEW_CONTEXT_LENGTH, cfg["vocab_size"]
    mistakes = {
        cfg["context_length"] * d: "ese es el tamaño con la longitud de contexto de GPT_CONFIG_124M; la pregunta "
                                   "la cambia.",
        n: "una tabla de embeddings no guarda un número por posición, sino un vector entero por posición.",
        d: "ese es el tamaño de una sola fila; la tabla tiene una fila por cada posición posible.",
        n * v: "la tabla de posiciones tiene una fila por posición, no por token del vocabulario.",
        v * d: "esa es la tabla de embeddings de token (tok_emb), no la de posición.",
        (n + 1) * d: "una tabla de embeddings no tiene sesgo ni filas de más: solo las filas que se buscan.",
    }
    if answer == expected:
        return correct("¡Correcto! Una fila por posición y emb_dim números en cada fila: duplicar la longitud de "
                       "contexto duplica la tabla.")
    return wrong_with_hint(answer, mistakes, "Todavía no. Piensa en pos_emb como una tabla: cuántas filas tiene con la "
                                             "nueva longitud de contexto y cuántos números guarda cada fila.")
