"""Preguntas «¿Lo has entendido?» del notebook 4: el gradiente a través de varias capas con atajo, dónde se
puede sumar el atajo y por qué ayuda al gradiente."""

import torch

from utils.exercises.common import correct, reads_answer, to_count, to_float, unanswered, wrong

F_SLOPE, N_LAYERS = 0.1, 3  # la pregunta 1: 3 capas con atajo y f'(x) = 0,1 en cada una
LAYER_SIZES = [3, 3, 4, 4, 4, 1]  # la red de la pregunta 2
CHOICES = "abcd"  # opciones de la pregunta 3
RIGHT_CHOICE = "b"


def shortcut_gain(slope=F_SLOPE, n_layers=N_LAYERS):
    """Calcula con autograd por cuánto queda multiplicado el gradiente tras n_layers capas y = x + f(x),
    con una f cuya derivada vale slope."""
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n_layers):
        y = y + slope * y  # una capa con atajo: x + f(x), con f(x) = slope · x
    (grad,) = torch.autograd.grad(y, x)
    return float(grad)


def _to_decimal(answer):
    """Lee un número como to_float, pero con "1,5" siempre decimal: aquí la coma no separa miles."""
    if isinstance(answer, str) and answer.count(",") == 1 and "." not in answer:
        answer = answer.replace(",", ".")
    return to_float(answer)


@reads_answer(_to_decimal, "Escribe un número: {error}.")
def evaluate_shortcut_gain(answer):
    """Comprueba por cuánto queda multiplicado el gradiente tras 3 capas con atajo con f'(x) = 0,1 en cada una.

    Parámetros:
        answer: un número (se acepta la coma decimal en texto: "1,5"); basta con tres decimales.

    Devuelve:
        un Verdict.
    """
    expected = shortcut_gain()
    if abs(answer - expected) <= 1.5e-3:
        return correct("¡Correcto! Cada capa aporta un factor 1 + f'(x), y el producto de factores cercanos a 1 "
                       "no se hunde hacia cero.")
    if abs(answer - F_SLOPE ** N_LAYERS) <= 1e-6:
        return wrong("Todavía no: ese sería el factor sin atajos, solo con f. La capa devuelve x + f(x): deriva "
                     "también el sumando x.")
    if abs(answer - (1 + N_LAYERS * F_SLOPE)) <= 1e-6:
        return wrong("Casi: la regla de la cadena multiplica los factores de las capas, no los suma.")
    if abs(answer - (1 + F_SLOPE)) <= 1e-6:
        return wrong("Ese es el factor de una sola capa; el gradiente atraviesa las tres.")
    if abs(answer - 1.0) <= 1e-6:
        return wrong("Todavía no: el atajo no sustituye a f, se suma a ella. No te olvides de f'(x).")
    return wrong("Todavía no. Calcula la derivada de una capa, x + f(x), y aplica la regla de la cadena a las "
                 "tres capas seguidas.")


def shortcut_count(layer_sizes=LAYER_SIZES):
    """Cuenta en cuántas capas de ExampleDeepNeuralNetwork se suma el atajo: las que conservan la forma."""
    count = 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        with torch.device("meta"):  # solo importan las formas: sin memoria y sin tocar la semilla global
            x = torch.zeros(1, n_in)
            layer_output = torch.nn.Linear(n_in, n_out)(x)
        count += x.shape == layer_output.shape  # la misma condición que el forward del notebook
    return count


@reads_answer(to_count, "Escribe un número entero de capas: {error}.")
def evaluate_shortcut_count(answer):
    """Comprueba en cuántas de las cinco capas se suma el atajo con layer_sizes = [3, 3, 4, 4, 4, 1].

    Parámetros:
        answer: un número entero de capas.

    Devuelve:
        un Verdict.
    """
    expected = shortcut_count()
    if answer == expected:
        return correct("¡Correcto! Solo se suma el atajo en las capas cuya salida tiene la misma forma que su "
                       "entrada.")
    n_layers = len(LAYER_SIZES) - 1
    if answer == n_layers:
        return wrong("Todavía no: use_shortcut=True no basta; el forward comprueba otra cosa antes de sumar.")
    if answer == shortcut_count([3, 3, 3, 3, 3, 1]):
        return wrong("Todavía no: ese es el número para la red del notebook, [3, 3, 3, 3, 3, 1]; aquí los "
                     "tamaños son otros.")
    if answer == 0:
        return wrong("Todavía no: algunas capas sí conservan la forma de su entrada.")
    return wrong("Todavía no. Escribe, para cada capa, su tamaño de entrada y de salida (dos números seguidos de "
                 "layer_sizes) y mira en cuáles coinciden.")


def evaluate_why_shortcuts(answer):
    """Comprueba la opción elegida sobre por qué las conexiones de atajo ayudan al gradiente.

    Parámetros:
        answer: la letra de la opción ("a", "b", "c" o "d"; también "B" o "b)").

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    letter = str(answer).strip().strip("()[]. ").lower()[:1]
    if letter not in tuple(CHOICES):  # tuple: la cadena vacía no cuenta como opción
        return wrong("Responde con la letra de una de las opciones: \"a\", \"b\", \"c\" o \"d\".")
    if letter == RIGHT_CHOICE:
        return correct("¡Correcto! Cada capa aporta un factor 1 + f'(x) en lugar de f'(x), así que el producto "
                       "a lo largo de muchas capas ya no se hunde hacia cero.")
    hints = {
        "a": "un atajo no multiplica el gradiente por un número grande; mira qué sumando aparece al derivar "
             "x + f(x).",
        "c": "un atajo no añade ni quita parámetros: sumar la entrada no necesita pesos.",
        "d": "eso lo hace la normalización de capa (notebook 2), no el atajo.",
    }
    return wrong(f"Todavía no: {hints[letter]}")
