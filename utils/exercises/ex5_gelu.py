"""Ejercicio 5 del notebook 9: la GELU exacta, con erf, frente a la aproximación con tanh de GPT-2."""

import inspect
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.exercises.common import as_function, correct, reads_answer, to_float, unanswered, wrong

GELU_HINTS = [
    (lambda x: F.gelu(x, approximate="tanh"), "esa es la aproximación con tanh que usa GPT-2; aquí se pide la "
                                              "fórmula exacta, con la función de error torch.erf."),
    (lambda x: 0.5 * x * (1 + torch.erf(x * math.sqrt(2.0))), "multiplicas x por √2 dentro de erf; hay que "
                                                               "dividir entre √2."),
    (lambda x: 0.5 * x * (1 + torch.erf(x / 2.0)), "dentro de erf se divide entre √2, no entre 2."),
    (lambda x: x * (1 + torch.erf(x / math.sqrt(2.0))), "te falta el factor 0.5."),
    (lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2.0))), "eso es Φ(x), la función de distribución de la "
                                                           "normal; GELU la multiplica por x."),
    (lambda x: 0.5 * x * torch.erf(x / math.sqrt(2.0)), "te falta el 1 + dentro del paréntesis."),
    (lambda x: x * torch.sigmoid(1.702 * x), "esa es la aproximación con sigmoide; aquí se pide la fórmula "
                                             "exacta, con torch.erf."),
    (torch.relu, "eso es ReLU, no GELU."),
]


def evaluate_gelu_exact(answer):
    """Comprueba una GELU exacta, 0.5·x·(1 + erf(x/√2)), contra torch.nn.functional.gelu.

    Parámetros:
        answer: función x -> tensor, o una clase o instancia de nn.Module.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    try:
        fn = as_function(answer)
        x = torch.linspace(-6, 6, 1201)
        out = fn(x)
        out3d = fn(x[:1200].reshape(3, 20, 20))
    except Exception as error:  # noqa: BLE001
        return wrong(f"Llamar a tu GELU lanza {type(error).__name__}: {error}")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape or out3d.shape != (3, 20, 20):
        return wrong("Tu GELU debe devolver un tensor con la misma forma que la entrada.")
    if torch.allclose(out, F.gelu(x), atol=1e-6, rtol=0):
        try:
            source = inspect.getsource(fn if not isinstance(fn, nn.Module) else type(fn))
        except (OSError, TypeError):
            source = ""
        if source and "erf" not in source and re.search(r"\.(gelu|GELU)\s*\(", source):
            return correct("Da lo mismo que F.gelu, pero parece que llamas a la GELU de PyTorch: el ejercicio "
                           "es escribirla tú con torch.erf.")
        return correct("¡Correcto! Tu GELU coincide con torch.nn.functional.gelu en todo el intervalo [-6, 6].")
    for reference, hint in GELU_HINTS:
        if torch.allclose(out, reference(x), atol=1e-6, rtol=0):
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no: la fórmula es x por Φ(x), y Φ(x) = 0.5·(1 + erf(x/√2)).")



def _gelu_gap():
    x = torch.linspace(-6, 6, 10001)
    return (F.gelu(x) - F.gelu(x, approximate="tanh")).abs()


@reads_answer(to_float, "Escribe la diferencia como un número: {error}.")
def evaluate_gelu_max_diff(value):
    """Comprueba la diferencia máxima, en valor absoluto, entre la GELU exacta y la aproximación con tanh.

    Parámetros:
        value: la diferencia máxima en torch.linspace(-6, 6, 10001) (número o tensor de un elemento).

    Devuelve:
        un Verdict.
    """
    gap = _gelu_gap()
    expected = gap.max().item()
    if abs(value - expected) <= 0.03 * expected:
        return correct("¡Correcto! Las dos curvas difieren en menos de una milésima: por eso GPT-2 podía usar la "
                       "aproximación sin perder nada.")
    if value < 0:
        return wrong("Todavía no: una diferencia máxima no puede ser negativa; toma el valor absoluto antes del "
                     "máximo.")
    if value < 1e-6:
        return wrong("Todavía no: te sale prácticamente cero; ¿comparas la GELU exacta consigo misma? Compárala "
                     "con F.gelu(x, approximate='tanh') o con GELU de utils.layers.")
    if abs(value - gap.mean().item()) <= 0.03 * gap.mean().item():
        return wrong("Todavía no: eso parece la diferencia media; se pide la máxima.")
    return wrong("Todavía no: calcula (exacta - aproximada).abs().max() sobre los 10001 puntos de "
                 "torch.linspace(-6, 6, 10001).")
