"""Preguntas «¿Lo has entendido?» del notebook 3: el tamaño oculto de FeedForward, sus parámetros en GPT-2
medium y la forma del tensor intermedio."""

import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M
from utils.exercises.common import correct, reads_answer, to_count, to_shape, wrong, wrong_with_hint
from utils.layers import FeedForward

BATCH_SIZE, NUM_TOKENS = 2, 3  # el lote x del notebook: (2, 3, 768)


def _feed_forward(cfg):
    """Crea FeedForward(cfg) en el dispositivo meta: tiene formas, pero no ocupa memoria."""
    with torch.device("meta"):
        return FeedForward(cfg)


def hidden_size(cfg=GPT_CONFIG_355M):
    """Mide cuántas neuronas tiene la capa oculta de FeedForward(cfg)."""
    return _feed_forward(cfg).layers[0].out_features


@reads_answer(to_count, "Escribe un número entero: {error}.")
def evaluate_hidden_size(answer, cfg=GPT_CONFIG_355M):
    """Comprueba el tamaño de la capa oculta de FeedForward en GPT-2 medium (emb_dim = 1024).

    Parámetros:
        answer: el número de valores del vector intermedio de cada token.
        cfg: configuración (por defecto, GPT_CONFIG_355M).

    Devuelve:
        un Verdict.
    """
    d = cfg["emb_dim"]
    if answer == hidden_size(cfg):
        return correct("¡Correcto! La primera capa lineal expande cada token y la segunda lo devuelve a emb_dim.")
    small = hidden_size(GPT_CONFIG_124M)
    mistakes = {
        d: "ese es el tamaño de la entrada y de la salida de la red; en medio, el vector se expande.",
        small: "ese es el tamaño oculto de GPT-2 pequeño; GPT-2 medium tiene otro emb_dim.",
        2 * d: "el factor de expansión de GPT-2 no es 2; míralo en FeedForward.__init__.",
        d // 4: "la capa oculta no contrae el vector: lo expande.",
    }
    return wrong_with_hint(answer, mistakes, "Todavía no. Busca en FeedForward.__init__ el tamaño de salida de la "
                                             "primera nn.Linear y aplícalo al emb_dim de GPT-2 medium.")


def ff_params(cfg=GPT_CONFIG_355M):
    """Cuenta de verdad los parámetros de FeedForward(cfg)."""
    return sum(p.numel() for p in _feed_forward(cfg).parameters())


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_ff_params(answer, cfg=GPT_CONFIG_355M):
    """Comprueba cuántos parámetros tiene una red FeedForward de GPT-2 medium (un solo bloque).

    Parámetros:
        answer: el número de parámetros (entero, texto como "8 393 728" o tensor de un elemento).
        cfg: configuración (por defecto, GPT_CONFIG_355M).

    Devuelve:
        un Verdict.
    """
    expected = ff_params(cfg)
    if answer == expected:
        return correct("¡Correcto! Dos matrices de emb_dim × 4·emb_dim más los sesgos de las dos capas.")
    d, h = cfg["emb_dim"], hidden_size(cfg)
    mistakes = {
        expected - h - d: "te faltan los sesgos: las dos nn.Linear llevan bias=True.",
        expected - d: "te falta el sesgo de la segunda capa lineal.",
        expected - h: "te falta el sesgo de la primera capa lineal.",
        d * h + h: "solo has contado la primera capa lineal; hay dos.",
        h * d + d: "solo has contado la segunda capa lineal; hay dos.",
        ff_params(GPT_CONFIG_124M): "ese es el recuento de GPT-2 pequeño; la pregunta es para emb_dim = 1024.",
        expected * cfg["n_layers"]: "la pregunta es por una sola red feed-forward, no por todos los bloques.",
        2 * d * d + 2 * d: "la capa oculta no tiene emb_dim neuronas: se expande.",
    }
    if answer not in mistakes and abs(answer - expected) <= 0.01 * expected and answer % 1000 == 0:
        return wrong("Estás muy cerca, pero buscamos el número exacto, no una aproximación.")
    return wrong_with_hint(answer, mistakes, "Todavía no. Cuenta como en el notebook: pesos y sesgos de cada una de "
                                             "las dos capas lineales (GELU no tiene parámetros), ahora con emb_dim = "
                                             "1024.")


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
