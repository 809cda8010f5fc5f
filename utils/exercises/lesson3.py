"""Preguntas «¿Lo has entendido?» del notebook 3: la forma del tensor intermedio de FeedForward, GELU lejos
del cero y la forma que da la red con una entrada sin lote."""

import torch

from utils.config import GPT_CONFIG_124M
from utils.exercises.common import (
    ERROR_ANSWER,
    correct,
    reads_answer,
    to_floats,
    to_shape,
    to_shape_or_error,
    wrong,
    wrong_with_hint,
)
from utils.layers import GELU, FeedForward

BATCH_SIZE, NUM_TOKENS = 2, 3  # el lote x del notebook: (2, 3, 768)
GELU_POINTS = (-100.0, 0.0, 100.0)  # la entrada de la pregunta 2
FF_2D_INPUT = (5, 768)  # la entrada de la pregunta 3: 5 tokens sin la dimensión del lote


def _feed_forward(cfg):
    """Crea FeedForward(cfg) en el dispositivo meta: tiene formas, pero no ocupa memoria."""
    with torch.device("meta"):
        return FeedForward(cfg)


def hidden_size(cfg=GPT_CONFIG_124M):
    """Mide cuántas neuronas tiene la capa oculta de FeedForward(cfg)."""
    return _feed_forward(cfg).layers[0].out_features


def gelu_values(points=GELU_POINTS):
    """Calcula GELU en los puntos de la pregunta 2."""
    return tuple(float(v) for v in GELU()(torch.tensor(points)))


@reads_answer(to_floats, "Escribe los tres valores como una tupla de números, por ejemplo (a, b, c): {error}.")
def evaluate_gelu_values(answer):
    """Comprueba qué imprime GELU()(torch.tensor([-100.0, 0.0, 100.0])), con un margen de una centésima.

    Parámetros:
        answer: los tres valores, como tupla, lista, tensor o texto.

    Devuelve:
        un Verdict.
    """
    expected = gelu_values()
    if len(answer) != len(expected):
        return wrong("Escribe tres valores, uno por cada número de la entrada.")
    if all(abs(a - e) <= 0.01 for a, e in zip(answer, expected, strict=True)):
        return correct("¡Correcto! Lejos del cero, GELU se comporta como ReLU: anula los negativos grandes y deja "
                       "pasar los positivos grandes; la diferencia está cerca del cero.")
    low, mid, high = answer
    if abs(low - GELU_POINTS[0]) <= 0.01:
        return wrong("Todavía no: para un negativo muy grande, Φ(x) es casi 0; GELU no deja pasar el valor tal cual.")
    if abs(mid) > 0.01:
        return wrong("Todavía no: mira el primer factor de x · Φ(x) cuando x = 0.")
    if abs(high - 1.0) <= 0.01 or abs(high) <= 0.01:
        return wrong("Todavía no: GELU no está acotada por arriba como una sigmoide; para x muy grande, Φ(x) es "
                     "casi 1.")
    return wrong("Todavía no. Usa GELU(x) = x · Φ(x) y piensa cuánto vale Φ muy lejos del cero, a cada lado.")


def ff_output_shape(shape=FF_2D_INPUT, cfg=GPT_CONFIG_124M):
    """Mide la forma que da ffn con una entrada de la forma shape, o ERROR_ANSWER si la pasada falla."""
    try:
        return tuple(_feed_forward(cfg)(torch.empty(shape, device="meta")).shape)
    except (RuntimeError, ValueError):  # si la red no aceptara la entrada, la respuesta sería «error»
        return ERROR_ANSWER


@reads_answer(to_shape_or_error, "Escribe la forma como una tupla de enteros, por ejemplo (a, b), o «error»: "
                                 "{error}.")
def evaluate_ff_2d_shape(answer, cfg=GPT_CONFIG_124M):
    """Comprueba qué forma da ffn con una entrada (5, 768), sin la dimensión del lote.

    Parámetros:
        answer: la forma (tupla, lista, torch.Size o texto) o la palabra «error».
        cfg: configuración (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    if answer == ff_output_shape(cfg=cfg):
        return correct("¡Correcto! nn.Linear actúa sobre la última dimensión y deja pasar todas las de delante, "
                       "sean las que sean: la red trabaja token a token.")
    n, d = FF_2D_INPUT
    hints = {
        ERROR_ANSWER: "nn.Linear no necesita la dimensión del lote: acepta cualquier número de dimensiones "
                      "delante de la última.",
        (n, hidden_size(cfg)): "esa es la forma entre las dos capas; la segunda vuelve a emb_dim.",
        (1, n, d): "la red no añade dimensiones: devuelve las mismas que recibe.",
        (n,): "la red no junta los valores de cada token en uno: cada token sale con emb_dim valores.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Piensa qué dimensión cambia cada nn.Linear y cuáles deja "
                                          "como están.")


def hidden_shape(cfg=GPT_CONFIG_124M, batch_size=BATCH_SIZE, num_tokens=NUM_TOKENS):
    """Mide la forma del tensor que sale de la primera capa lineal de FeedForward(cfg) con un lote dado."""
    ffn = _feed_forward(cfg)
    shapes = []
    handle = ffn.layers[0].register_forward_hook(lambda _m, _args, out: shapes.append(tuple(out.shape)))
    try:
        ffn(torch.empty(batch_size, num_tokens, cfg["emb_dim"], device="meta"))
    finally:
        handle.remove()
    return shapes[0]


@reads_answer(to_shape, "Escribe la forma como una tupla de enteros, por ejemplo (a, b, c): {error}.")
def evaluate_hidden_shape(answer, cfg=GPT_CONFIG_124M):
    """Comprueba la forma del tensor entre las dos capas lineales de ffn para x de forma (2, 3, 768).

    Parámetros:
        answer: la forma, como tupla, lista, torch.Size o texto.
        cfg: configuración (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    b, t, d = BATCH_SIZE, NUM_TOKENS, cfg["emb_dim"]
    h = hidden_size(cfg)
    if answer == hidden_shape(cfg):
        return correct("¡Correcto! Las capas lineales solo cambian la última dimensión: el lote y los tokens "
                       "pasan tal cual, cada token por su cuenta.")
    hints = {
        (b, t, d): "esa es la forma de la entrada y de la salida de ffn; entre las dos capas el vector es otro.",
        (b, h): "nn.Linear no junta los tokens: actúa sobre cada uno y conserva las dimensiones de delante.",
        (b * t, h): "nn.Linear no junta el lote y los tokens en una dimensión: conserva las de delante.",
        (h, d): "esa es la forma de una matriz de pesos, no la del tensor que sale de la capa.",
        (d, h): "esa es la forma de una matriz de pesos, no la del tensor que sale de la capa.",
        (b, t, 2 * d): "el factor de expansión de GPT-2 no es 2.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. nn.Linear cambia solo la última dimensión de su entrada; mira a "
                                          "qué tamaño la lleva la primera capa.")
