"""Preguntas «¿Lo has entendido?» del notebook 4: qué imprime la derivada de una capa con atajo si cambia f,
dónde se puede sumar el atajo y qué gradiente llega a la primera capa cuando otra se queda a cero."""

import torch

from utils.exercises.common import choice_verdict, correct, reads_answer, to_count, to_float, wrong
from utils.layers import GELU

X_VALUE = 2.0  # la pregunta 1: la celda de autograd del notebook, con x = 2 y f(x) = 0,01 · x³
F_COEF = 0.01
LAYER_SIZES = [3, 3, 4, 4, 4, 1]  # la red de la pregunta 2
# La red y la entrada del notebook; la pregunta 3 pone a cero los pesos y sesgos de layers.2.
NOTEBOOK_SIZES = [3, 3, 3, 3, 3, 1]
NOTEBOOK_INPUT = [[1.0, 0.0, -1.0]]
ZEROED_LAYER = 2
# Cada opción de la pregunta 3: (¿recibe gradiente layers.0 sin atajos?, ¿y con atajos?)
CHOICES = {"a": (False, False), "b": (False, True), "c": (True, True), "d": (True, False)}


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
    if answer == shortcut_count(NOTEBOOK_SIZES):
        return wrong("Todavía no: ese es el número para la red del notebook, [3, 3, 3, 3, 3, 1]; aquí los "
                     "tamaños son otros.")
    if answer == 0:
        return wrong("Todavía no: algunas capas sí conservan la forma de su entrada.")
    return wrong("Todavía no. Escribe, para cada capa, su tamaño de entrada y de salida (dos números seguidos de "
                 "layer_sizes) y mira en cuáles coinciden.")


def first_layer_gradient(use_shortcut, zeroed_layer=ZEROED_LAYER, seed=123):
    """Mide la media de |gradiente| de los pesos de layers.0 en la red del notebook 4 con la capa zeroed_layer a
    cero, con la misma semilla, entrada y pérdida que el notebook (sin tocar la semilla global).

    Parámetros:
        use_shortcut: si la red suma los atajos.
        zeroed_layer: la capa cuyos pesos y sesgos se ponen a cero (None: ninguna, la red del notebook tal cual).

    Devuelve:
        un float; 0.0 si no llega ningún gradiente a la primera capa.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = [torch.nn.Sequential(torch.nn.Linear(n_in, n_out), GELU())
                  for n_in, n_out in zip(NOTEBOOK_SIZES[:-1], NOTEBOOK_SIZES[1:], strict=True)]
    if zeroed_layer is not None:
        with torch.no_grad():
            layers[zeroed_layer][0].weight.zero_()
            layers[zeroed_layer][0].bias.zero_()
    x = torch.tensor(NOTEBOOK_INPUT)
    for layer in layers:  # el forward de ExampleDeepNeuralNetwork
        layer_output = layer(x)
        x = x + layer_output if use_shortcut and x.shape == layer_output.shape else layer_output
    torch.nn.MSELoss()(x, torch.zeros_like(x)).backward()
    return float(layers[0][0].weight.grad.abs().mean())


def zeroed_layer_choice():
    """Devuelve la letra de la opción que describe lo que se mide con first_layer_gradient."""
    measured = (first_layer_gradient(False) > 0, first_layer_gradient(True) > 0)
    (letter,) = [letter for letter, outcome in CHOICES.items() if outcome == measured]
    return letter


def evaluate_zeroed_layer(answer):
    """Comprueba qué gradiente recibe layers.0, con y sin atajos, si los pesos y sesgos de layers.2 valen 0.

    Parámetros:
        answer: la letra de la opción ("a", "b", "c" o "d"; también "B" o "b)").

    Devuelve:
        un Verdict.
    """
    hints = {
        "a": "mira la red con atajos: si la subcapa de layers.2 da siempre 0, ¿qué devuelve la capa entera? "
             "¿Sigue su salida dependiendo de su entrada?",
        "c": "mira la red sin atajos: con los pesos y el sesgo a cero, layers.2 devuelve GELU(0) sea cual sea su "
             "entrada. ¿Cambiaría la pérdida si cambiaras los pesos de layers.0?",
        "d": "un atajo no le quita caminos al gradiente, le añade uno. Piensa qué devuelve layers.2 en cada red.",
    }
    return choice_verdict(answer, zeroed_layer_choice, hints=hints, praise=(
        "¡Correcto! Sin atajos, layers.2 devuelve GELU(0) = 0 sea cual sea su entrada: la pérdida ya no depende "
        "de las capas anteriores y su gradiente es exactamente 0. Con atajos devuelve x + 0 = x, y el gradiente "
        "sigue pasando por el camino de la identidad. Puedes verlo: pon a cero esos pesos dentro de "
        "torch.no_grad() y vuelve a llamar a print_gradients."))
