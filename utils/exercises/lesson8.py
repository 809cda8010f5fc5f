"""Preguntas «¿Lo has entendido?» del notebook 8: cuántos tokens deja top-p, qué devuelve la generación con
un contexto corto y top-k frente a la decodificación voraz."""

import torch

from utils.exercises.common import CHECK_CFG, as_bool, correct, reads_answer, to_count, to_shape, wrong, wrong_with_hint
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.sampling import generate, top_p_filter

PROBS = (0.5, 0.3, 0.15, 0.05)  # las probabilidades de la pregunta 1
TOP_P = 0.7
START_TOKENS, NEW_TOKENS, CONTEXT_SIZE = 4, 5, 2  # la pregunta 2: "Hello, I am", 5 tokens nuevos, contexto 2


def kept_by_top_p(probs=PROBS, p=TOP_P):
    """Cuenta cuántos tokens conserva top_p_filter con esas probabilidades."""
    logits = torch.log(torch.tensor(probs))
    return int(torch.isfinite(top_p_filter(logits, p)).sum())


@reads_answer(to_count, "Escribe un número entero de tokens: {error}.")
def evaluate_top_p_count(answer):
    """Comprueba cuántos tokens conserva top-p con probabilidades 0,5 0,3 0,15 0,05 y top_p = 0,7.

    Parámetros:
        answer: un número entero.

    Devuelve:
        un Verdict.
    """
    expected = kept_by_top_p()
    if answer == expected:
        return correct("¡Correcto! Se suman probabilidades de mayor a menor y se para en cuanto se llega a top_p.")
    if answer == expected - 1:
        return wrong("Todavía no: con esos tokens la suma aún no llega a top_p; top-p conserva el conjunto más "
                     "pequeño que llega, no el más grande que se queda por debajo.")
    if answer == expected + 1:
        return wrong("Todavía no: te sobra un token; en cuanto la suma llega a top_p, los demás se descartan.")
    if answer == len(PROBS):
        return wrong("Todavía no: top-p descarta los tokens menos probables que ya no hacen falta para llegar "
                     "a top_p.")
    return wrong("Todavía no. Ordena las probabilidades de mayor a menor y ve sumando hasta llegar a top_p.")


def short_context_shape(num_tokens=START_TOKENS, max_new_tokens=NEW_TOKENS, context_size=CONTEXT_SIZE):
    """Mide la forma que devuelve generate_text_simple con un contexto corto (modelo pequeño en meta, sin memoria)."""
    with torch.device("meta"):
        model = GPTModel(CHECK_CFG).eval()
        idx = torch.zeros(1, num_tokens, dtype=torch.long)  # (1, num_tokens), como encoded_tensor
    return tuple(generate_text_simple(model, idx, max_new_tokens, context_size).shape)


@reads_answer(to_shape, "Escribe la forma como una tupla de enteros, por ejemplo (a, b): {error}.")
def evaluate_short_context_shape(answer):
    """Comprueba la forma de generate_text_simple(model, encoded_tensor, max_new_tokens=5, context_size=2).

    Parámetros:
        answer: la forma, como tupla, lista, torch.Size o texto.

    Devuelve:
        un Verdict.
    """
    expected = short_context_shape()
    if answer == expected:
        return correct("¡Correcto! El recorte solo cambia lo que ve el modelo en cada paso; la salida conserva "
                       "todo el texto de partida y le añade los tokens nuevos.")
    t, n, c = START_TOKENS, NEW_TOKENS, CONTEXT_SIZE
    hints = {
        (1, c + n): "context_size recorta lo que ve el modelo, no lo que devuelve la función.",
        (1, n): "la salida empieza por los ids de partida y sigue con los nuevos.",
        (1, c): "la salida no se recorta: lleva el texto entero más los tokens nuevos.",
        (1, t): "la función añade tokens nuevos al final de la secuencia.",
        (t + n,): "generate_text_simple conserva la dimensión del lote.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Sigue el bucle: cada paso añade un id con torch.cat a la "
                                          "secuencia entera, no a la recortada.")


@reads_answer(as_bool, "Responde sí o no (también vale True o False).")
def evaluate_top_k_one_is_greedy(answer):
    """Comprueba si generate con top_k=1 y temperature=1.5 elige los mismos tokens que generate_text_simple.

    Parámetros:
        answer: sí o no (True/False o un texto como "sí").

    Devuelve:
        un Verdict.
    """
    torch.manual_seed(0)
    model = GPTModel(CHECK_CFG).eval()
    idx = torch.tensor([[1, 2, 3]])
    sampled = generate(model, idx, 8, CHECK_CFG["context_length"], temperature=1.5, top_k=1,
                       generator=torch.Generator().manual_seed(0))
    same = torch.equal(sampled, generate_text_simple(model, idx, 8, CHECK_CFG["context_length"]))
    if answer == same:
        return correct("¡Correcto! Con un solo candidato, el sorteo siempre lo elige a él, sea cual sea la "
                       "temperatura.")
    return wrong("Todavía no: piensa cuántos tokens quedan con probabilidad mayor que 0 después de top_k=1, y "
                 "qué puede salir al sortear entre ellos.")
