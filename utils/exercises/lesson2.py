"""Preguntas «¿Lo has entendido?» del notebook 2: los parámetros de LayerNorm, el efecto de scale y shift,
y el eje sobre el que normaliza."""

import torch

from utils.exercises.common import (
    NotANumber,
    correct,
    reads_answer,
    to_count,
    to_float,
    wrong,
    wrong_with_hint,
)
from utils.layers import LayerNorm

EMB_DIM = 768  # el tamaño de la LayerNorm de las preguntas
SCALE, SHIFT = 2.0, 3.0  # los valores que la pregunta 2 pone en scale y shift


def layernorm_params(emb_dim=EMB_DIM):
    """Cuenta de verdad los parámetros entrenables de LayerNorm(emb_dim)."""
    return sum(p.numel() for p in LayerNorm(emb_dim).parameters() if p.requires_grad)


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_layernorm_params(answer, emb_dim=EMB_DIM):
    """Comprueba cuántos parámetros entrenables tiene LayerNorm(768).

    Parámetros:
        answer: el número de parámetros (entero, texto o tensor de un elemento).
        emb_dim: tamaño de la capa (768 en la pregunta).

    Devuelve:
        un Verdict.
    """
    expected = layernorm_params(emb_dim)
    if answer == expected:
        return correct("¡Correcto! Dos vectores aprendibles del tamaño del embedding; eps es una constante.")
    d = emb_dim
    mistakes = {
        d: "has contado un solo vector; la capa aprende dos cosas distintas.",
        0: "la normalización en sí no tiene parámetros, pero la capa tiene algo más que se aprende.",
        2: "scale y shift no son dos números sueltos: cada uno tiene un valor por dimensión del embedding.",
        d * d: "LayerNorm no tiene una matriz de pesos como nn.Linear: trata cada dimensión por separado.",
        d * d + d: "LayerNorm no tiene una matriz de pesos como nn.Linear: trata cada dimensión por separado.",
        expected + 1: "eps es una constante que fijamos nosotros, no un parámetro que se entrene.",
    }
    return wrong_with_hint(answer, mistakes, "Todavía no. Mira qué crea el __init__ de LayerNorm con nn.Parameter y de "
                                             "qué tamaño es cada cosa.")


def scale_shift_stats(seed=123):
    """Mide la media y la varianza (sesgada) de la salida de LayerNorm(768) con scale = 2 y shift = 3.

    Devuelve:
        una tupla (media, varianza) de floats, con un lote aleatorio de 4 tokens.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(4, EMB_DIM, generator=generator) * 5 + 1
    ln = LayerNorm(EMB_DIM)
    with torch.no_grad():
        ln.scale.fill_(SCALE)
        ln.shift.fill_(SHIFT)
        out = ln(x)
    return float(out.mean()), float(out.var(dim=-1, unbiased=False).mean())


def _as_pair(answer):
    """Convierte (media, varianza) escrita como tupla, lista o diccionario en dos floats."""
    if isinstance(answer, dict):
        keys = {str(k).lower(): v for k, v in answer.items()}
        if "media" in keys and "varianza" in keys:
            return to_float(keys["media"]), to_float(keys["varianza"])
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return to_float(answer[0]), to_float(answer[1])
    raise NotANumber("responde con dos números entre paréntesis: (media, varianza)")


@reads_answer(_as_pair, "Todavía no puedo leer tu respuesta: {error}.")
def evaluate_scale_shift(answer):
    """Comprueba la media y la varianza de la salida de LayerNorm(768) con scale = 2 y shift = 3.

    Parámetros:
        answer: tupla (media, varianza); se acepta una aproximación a una décima.

    Devuelve:
        un Verdict.
    """
    mean, var = answer
    true_mean, true_var = scale_shift_stats()
    mean_ok, var_ok = abs(mean - true_mean) <= 0.1, abs(var - true_var) <= 0.1
    if mean_ok and var_ok:
        return correct("¡Correcto! Tras normalizar, shift fija la media y scale estira los valores: la varianza "
                       "crece con el cuadrado de scale.")
    if abs(mean - true_var) <= 0.1 and abs(var - true_mean) <= 0.1:
        return wrong("Todavía no: parece que has escrito los dos números al revés; el orden es (media, varianza).")
    if mean_ok:
        if abs(var - SCALE) <= 0.1:
            return wrong("La media está bien. Para la varianza: scale multiplica la desviación típica, y la "
                         "varianza es el cuadrado de la desviación típica.")
        if abs(var - 1.0) <= 0.1:
            return wrong("La media está bien. La varianza no sigue siendo 1: scale multiplica cada valor "
                         "normalizado.")
        return wrong("La media está bien; revisa la varianza: ¿qué le pasa a la varianza si multiplicas todos "
                     "los valores por el mismo número?")
    if abs(mean) <= 0.1:
        return wrong("Todavía no: la media de la salida ya no es 0, porque shift se suma a cada valor normalizado.")
    if abs(mean - (SCALE + SHIFT)) <= 0.1 or abs(mean - SCALE * SHIFT) <= 0.1:
        return wrong("Todavía no: recuerda que la media de los valores normalizados es 0 antes de aplicar scale "
                     "y shift.")
    return wrong("Todavía no. Parte de los valores normalizados (media 0, varianza 1) y aplica la última línea "
                 "de forward: scale * norm_x + shift.")


def normalized_dim(shape=(2, 4, 8)):
    """Mide sobre qué dimensión deja LayerNorm media 0: aplica la capa y mira cada eje."""
    generator = torch.Generator().manual_seed(0)
    out = LayerNorm(shape[-1])(torch.randn(shape, generator=generator) * 3 + 2)
    dims = [d for d in range(len(shape)) if out.mean(dim=d).abs().max() < 1e-4]
    return dims[0] - len(shape)  # en negativo: -1 es la última


DIM_NAMES = {"batch": 0, "lote": 0, "num_tokens": 1, "tokens": 1, "emb_dim": 2, "embedding": 2}


def _as_dim(answer):
    """Lee una dimensión: un entero como -1 o 2, o el nombre de la dimensión ("emb_dim", "tokens"...)."""
    if isinstance(answer, str) and answer.strip().lower() in DIM_NAMES:
        return DIM_NAMES[answer.strip().lower()]
    return to_count(answer)


@reads_answer(_as_dim, "Escribe el número que pasarías a dim= (o el nombre de la dimensión): {error}.")
def evaluate_norm_dim(answer):
    """Comprueba sobre qué dimensión de una entrada (batch, num_tokens, emb_dim) calcula LayerNorm la media.

    Parámetros:
        answer: el valor que se pasaría a dim= (entero como -1 o 2, o el nombre de la dimensión).

    Devuelve:
        un Verdict.
    """
    if answer not in (-3, -2, -1, 0, 1, 2):
        return wrong("Todavía no: una entrada (batch, num_tokens, emb_dim) solo tiene las dimensiones 0, 1 y 2 "
                     "(o -3, -2 y -1 contando desde el final).")
    if answer % 3 == normalized_dim() % 3:
        return correct("¡Correcto! Cada token se normaliza por su cuenta, con sus emb_dim valores, sin mirar a "
                       "los demás tokens ni a los demás textos del lote.")
    if answer % 3 == 0:
        return wrong("Todavía no: esa dimensión recorre los textos del lote; normalizar a lo largo del lote es lo "
                     "que hace BatchNorm.")
    return wrong("Todavía no: esa dimensión recorre los tokens de un texto; LayerNorm no mezcla tokens distintos.")
