"""Preguntas «¿Lo has entendido?» del notebook 8: top-p, la temperatura y top-k frente a la decodificación
voraz."""

import torch

from utils.exercises.common import CHECK_CFG, as_bool, correct, reads_answer, to_count, to_float, wrong
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.sampling import apply_temperature, generate, top_p_filter

PROBS = (0.5, 0.3, 0.15, 0.05)  # las probabilidades de la pregunta 1
TOP_P = 0.7
TEMPERATURES = (0.1, 10.0)  # las dos temperaturas de la pregunta 2


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


def flatter_temperature():
    """Devuelve cuál de las dos temperaturas deja la distribución más cerca de la uniforme (mayor entropía)."""
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])

    def entropy(t):
        probs = torch.softmax(apply_temperature(logits, t), dim=-1)
        return float(-(probs * probs.log()).sum())

    return max(TEMPERATURES, key=entropy)


@reads_answer(to_float, "Escribe una de las dos temperaturas, como número: {error}.")
def evaluate_flatter_temperature(answer):
    """Comprueba qué temperatura, 0,1 o 10, acerca más la distribución a la uniforme.

    Parámetros:
        answer: el número de la temperatura (0.1 o 10), también como texto.

    Devuelve:
        un Verdict.
    """
    if answer not in TEMPERATURES:
        return wrong("Elige una de las dos temperaturas de la pregunta.")
    if answer == flatter_temperature():
        return correct("¡Correcto! Dividir entre un número grande acerca todos los logits a 0, y softmax de logits "
                       "casi iguales da probabilidades casi iguales.")
    return wrong("Todavía no: dividir los logits entre un número pequeño agranda sus diferencias, y softmax "
                 "concentra entonces la probabilidad en el mayor.")


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
