"""Preguntas «¿Lo has entendido?» del notebook 4: qué imprime la derivada de una capa con atajo si cambia f,
dónde se puede sumar el atajo y por qué ayuda al gradiente."""

import torch

from utils.exercises.common import correct, reads_answer, to_count, to_float, unanswered, wrong

X_VALUE = 2.0  # la pregunta 1: la celda de autograd del notebook, con x = 2 y f(x) = 0,01 · x³
F_COEF = 0.01
LAYER_SIZES = [3, 3, 4, 4, 4, 1]  # la red de la pregunta 2
CHOICES = "abcd"  # opciones de la pregunta 3
RIGHT_CHOICE = "b"


def shortcut_derivative(x_value=X_VALUE, coef=F_COEF):
    """Calcula con autograd d (x + f(x)) / dx en x = x_value, con f(x) = coef · x³, como la celda del notebook."""
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(x + coef * x**3, x)
    return float(grad)


def _to_decimal(answer):
    """Lee un número como to_float, pero con "1,5" siempre decimal: aquí la coma no separa miles."""
    if isinstance(answer, str) and answer.count(",") == 1 and "." not in answer:
        answer = answer.replace(",", ".")
    return to_float(answer)


@reads_answer(_to_decimal, "Escribe un número: {error}.")
def evaluate_shortcut_derivative(answer):
    """Comprueba qué imprime la celda de autograd con f(x) = 0,01 · x³ en la línea d (x + f(x)) / dx.

    Parámetros:
        answer: un número (se acepta la coma decimal en texto: "1,5"); basta con dos decimales.

    Devuelve:
        un Verdict.
    """
    expected = shortcut_derivative()
    if abs(answer - expected) <= 5e-3:
        return correct("¡Correcto! El atajo aporta el 1 y f aporta su derivada: cambie como cambie f, el factor "
                       "de la capa es 1 más algo.")
    x, c = X_VALUE, F_COEF
    f_slope = expected - 1
    mistakes = [
        (f_slope, "ese sería el resultado sin atajo, solo con f. La capa devuelve x + f(x): deriva también el "
                  "sumando x."),
        (1 + 0.02 * x, "ese es el resultado con la f de antes, 0,01 · x²; la pregunta cambia f."),
        (1 + 2 * c * x**2, "la derivada de x³ es 3x², no 2x²."),
        (1 + 3 * c * x, "la derivada de x³ es 3x², no 3x."),
        (1.0, "el atajo no sustituye a f, se suma a ella: no te olvides de f'(x)."),
    ]
    for wrong_value, hint in mistakes:
        if abs(answer - wrong_value) <= 1e-6:
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no. Deriva x + 0,01 · x³ y evalúa en x = 2.")


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
