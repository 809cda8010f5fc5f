"""Preguntas «¿Lo has entendido?» del notebook 2: la forma que da LayerNorm con una entrada que no encaja,
el efecto de scale y shift, y un error en forward."""

import torch

from utils.exercises.common import (
    ERROR_ANSWER,
    NotANumber,
    correct,
    reads_answer,
    to_count,
    to_float,
    to_shape_or_error,
    wrong,
    wrong_with_hint,
)
from utils.layers import LayerNorm

EMB_DIM = 768  # el tamaño de la LayerNorm de las preguntas
SCALE, SHIFT = 2.0, 3.0  # los valores que la pregunta 2 pone en scale y shift
BROADCAST_INPUT = (2, 4, 1)  # la entrada de la pregunta 1: un solo valor por token
# La pregunta 3: un forward con un error, línea a línea, tal como lo muestra el notebook.
BUGGY_FORWARD = (
    "mean = x.mean(dim=-1, keepdim=True)",
    "var = x.var(dim=-1, keepdim=True, unbiased=False)",
    "norm_x = (x - mean) / torch.sqrt(var) + self.eps",
    "return self.scale * norm_x + self.shift",
)


def broadcast_shape(shape=BROADCAST_INPUT, emb_dim=EMB_DIM):
    """Mide la forma que da LayerNorm(emb_dim) con una entrada de la forma shape (en el dispositivo meta)."""
    with torch.device("meta"):
        try:
            return tuple(LayerNorm(emb_dim)(torch.zeros(shape)).shape)
        except (RuntimeError, ValueError):  # si la capa rechazara la entrada, la respuesta sería «error»
            return ERROR_ANSWER


@reads_answer(to_shape_or_error, "Escribe la forma como una tupla de enteros, por ejemplo (a, b, c), o «error»: "
                               "{error}.")
def evaluate_broadcast_shape(answer):
    """Comprueba qué forma da LayerNorm(768) con una entrada (2, 4, 1), un solo valor por token.

    Parámetros:
        answer: la forma (tupla, lista, torch.Size o texto) o la palabra «error».

    Devuelve:
        un Verdict.
    """
    if answer == broadcast_shape():
        return correct("¡Correcto! Con un solo valor por token, la fila normalizada vale 0 y la difusión la "
                       "extiende a los 768 valores de scale y shift: sale un resultado con otra forma y sin "
                       "sentido, sin ningún aviso. Dentro de GPTModel no puede pasar: el modelo comprueba los ids "
                       "al entrar, y cada LayerNorm recibe vectores de emb_dim valores.")
    hints = {
        ERROR_ANSWER: "forward no comprueba la forma de la entrada, y PyTorch calcula todo lo que la difusión "
                      "permite. Sigue las cuatro líneas con una última dimensión de 1.",
        BROADCAST_INPUT: "la entrada tiene un valor por token, pero mira la última línea de forward: ¿de qué "
                         "tamaño son scale y shift?",
        BROADCAST_INPUT[:2]: "keepdim=True conserva la última dimensión.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Sigue forward línea a línea con una entrada (2, 4, 1) y "
                                          "recuerda cómo combina la difusión dos formas distintas.")


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


def bug_line():
    """Devuelve el número (desde 1) de la línea de BUGGY_FORWARD que no está en LayerNorm.forward."""
    import inspect

    real = inspect.getsource(LayerNorm.forward)
    (line,) = [i for i, code in enumerate(BUGGY_FORWARD, start=1) if code not in real]
    return line


@reads_answer(to_count, "Escribe el número de la línea, del 1 al 4: {error}.")
def evaluate_bug_line(answer):
    """Comprueba en qué línea del forward con un error (BUGGY_FORWARD) está el error.

    Parámetros:
        answer: el número de la línea, del 1 al 4.

    Devuelve:
        un Verdict.
    """
    if answer not in range(1, len(BUGGY_FORWARD) + 1):
        return wrong("Responde con el número de una de las cuatro líneas, del 1 al 4.")
    if answer == bug_line():
        return correct("¡Correcto! eps tiene que ir dentro de la raíz, sumado a la varianza: fuera de ella llega "
                       "tarde, porque la división entre cero ya se ha hecho y una fila constante da nan.")
    hints = {
        1: "la media sobre la última dimensión, con keepdim=True, es la del notebook.",
        2: "esa es la varianza sesgada (unbiased=False), la que usa GPT-2.",
        4: "scale y shift se aplican así: multiplicar y sumar a los valores normalizados.",
    }
    return wrong(f"Todavía no: {hints[answer]} Prueba mentalmente el código con una fila constante, como flat.")
