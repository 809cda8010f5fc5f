"""Ejercicio 5 del notebook 9: atención con ventana deslizante, en la que cada token solo ve los últimos
`window` tokens (él incluido), y hasta dónde llega la información cuando se apilan bloques.

La respuesta es una función sliding_window_mask(context_length, window) que devuelve una máscara con la
convención del buffer `mask` de MultiHeadAttention: 1 (o True) en las posiciones que un token no puede ver.
"""

import torch

from utils.exercises.common import (
    CHECK_CFG,
    build_seeded,
    correct,
    reads_answer,
    ready_for_experiment,
    to_count,
    unanswered,
    wrong,
    wrong_with_hint,
)
from utils.gpt import GPTModel

# Los casos que se prueban: (context_length, window), del caso general a los extremos (window 1 y mayor que
# el contexto, donde la máscara es la causal de siempre).
CASES = [(6, 3), (8, 2), (16, 4), (7, 1), (5, 5), (4, 10)]
# El experimento del enunciado: 16 tokens, ventana de 4 y 3 bloques.
NUM_TOKENS, WINDOW, N_LAYERS = 16, 4, 3


def _reference(context_length, window):
    """La máscara correcta, como tensor de bool: True donde el token de la fila no ve al de la columna."""
    pos = torch.arange(context_length)
    distance = pos[:, None] - pos[None, :]  # i - j: cuántas posiciones antes que el token i está el token j
    return (distance < 0) | (distance >= window)


def _as_mask(out, context_length):
    """Convierte la salida de quien aprende en un tensor de bool, o devuelve el Verdict que explica el problema."""
    if not isinstance(out, torch.Tensor):
        return None, wrong(f"Tu función debe devolver un tensor, y devuelve {type(out).__name__}.")
    if out.shape != (context_length, context_length):
        return None, wrong(f"Con context_length={context_length}, tu máscara tiene forma {tuple(out.shape)}: debe "
                           f"ser ({context_length}, {context_length}), una fila por token que mira y una columna "
                           "por token mirado, como el buffer mask.")
    if out.dtype != torch.bool and not torch.all((out == 0) | (out == 1)):
        return None, wrong("Tu máscara tiene valores distintos de 0 y 1. Como el buffer mask, debe tener 1 (o "
                           "True) donde se tapa y 0 (o False) donde se ve; el -inf lo pone después forward.")
    return out.bool(), None


def _diagnose(mask, context_length, window):
    """Devuelve la pista que explica en qué se equivoca una máscara (de bool) que no coincide."""
    expected = _reference(context_length, window)
    causal = torch.triu(torch.ones(context_length, context_length, dtype=torch.bool), diagonal=1)
    if torch.equal(mask, ~expected):
        return ("está al revés: en el buffer mask, 1 (o True) significa «tapado», y 0, «se ve». Así lo usa "
                "forward con masked_fill.")
    if torch.equal(mask, expected.T):
        return ("está traspuesta: cada fila es el token que mira (la consulta) y cada columna el token mirado (la "
                "clave). El futuro de un token queda a la derecha de la diagonal, como en la máscara causal.")
    if window < context_length and torch.equal(mask, causal):
        return "eso es la máscara causal de siempre: falta tapar también los tokens que quedan fuera de la ventana."
    if mask.diagonal().any():
        return ("un token siempre se ve a sí mismo: la diagonal no se tapa. Si una fila queda tapada entera, "
                "softmax reparte el peso entre ningún token y da NaN.")
    band = _reference(context_length, window) & ~causal  # solo lo que queda lejos, antes del token
    if torch.equal(mask, band | band.T):
        return "tapas lo que queda lejos, pero no el futuro: la atención debe seguir siendo causal."
    if torch.equal(mask, _reference(context_length, window + 1)):
        return ("cada token ve window + 1 tokens. La ventana cuenta también el propio token: con window = 3, el "
                "token 5 ve los tokens 3, 4 y 5.")
    if window > 1 and torch.equal(mask, _reference(context_length, window - 1)):
        return ("cada token ve window - 1 tokens. La ventana cuenta también el propio token: con window = 3, el "
                "token 5 ve los tokens 3, 4 y 5.")
    row = int((mask != expected).any(dim=1).nonzero()[0])
    return (f"con context_length={context_length} y window={window}, tu máscara no coincide en la fila {row}, la "
            f"del token {row}: revisa qué tokens ve y cuáles tapa.")


def evaluate_sliding_window_mask(answer):
    """Comprueba una función sliding_window_mask(context_length, window) con varios tamaños y ventanas.

    Parámetros:
        answer: la función (context_length, window) -> máscara (context_length, context_length), con 1 o True
            en lo que se tapa.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    if not callable(answer):
        return wrong(f"Se espera una función sliding_window_mask(context_length, window), y he recibido "
                     f"{type(answer).__name__}.")
    for context_length, window in CASES:
        try:
            out = answer(context_length, window)
        except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
            return wrong(f"Con context_length={context_length} y window={window}, tu función lanza "
                         f"{type(error).__name__}: {error}")
        mask, problem = _as_mask(out, context_length)
        if problem:
            return problem
        if not torch.equal(mask, _reference(context_length, window)):
            return wrong(f"Todavía no: {_diagnose(mask, context_length, window)}")
    return correct("¡Correcto! Cada token ve los últimos window tokens, él incluido, y nada del futuro; con una "
                   "ventana igual o mayor que el contexto vuelve a ser la máscara causal.")


def tokens_that_reach_last(mask, n_layers, num_tokens=NUM_TOKENS):
    """Indica qué tokens de la entrada pueden cambiar los logits del último, en un GPTModel pequeño con mask.

    Cambia cada token por otro, uno a uno, y mira si cambian los logits de la última posición.

    Parámetros:
        mask: máscara (num_tokens, num_tokens), 1 o True en lo que se tapa; se copia en cada atención.
        n_layers: número de bloques del modelo.
        num_tokens: longitud de la entrada (y context_length del modelo).

    Devuelve:
        una lista de num_tokens booleanos: True si cambiar ese token cambia los logits del último.
    """
    cfg = {**CHECK_CFG, "context_length": num_tokens, "n_layers": n_layers}
    model = build_seeded(GPTModel, cfg).eval()
    with torch.no_grad():
        for block in model.trf_blocks:
            block.att.mask.copy_(mask)  # el buffer que forward recorta y usa con masked_fill
        torch.manual_seed(0)
        idx = torch.randint(0, cfg["vocab_size"], (1, num_tokens))
        last = model(idx)[0, -1]
        reach = []
        for j in range(num_tokens):
            changed = idx.clone()
            changed[0, j] = (changed[0, j] + 1) % cfg["vocab_size"]  # otro token en la posición j
            reach.append(bool((model(changed)[0, -1] - last).abs().max() > 1e-6))
    return reach


@reads_answer(to_count, "Escribe un número entero de tokens: {error}.")
def evaluate_num_tokens_seen(value):
    """Comprueba la predicción: con 16 tokens, ventana 4 y 3 bloques, cuántos tokens pueden cambiar los logits
    del último (contándolo a él).

    Parámetros:
        value: el número de tokens (entero, o texto que se lea como entero).

    Devuelve:
        un Verdict.
    """
    expected = N_LAYERS * (WINDOW - 1) + 1
    if value == expected:
        return correct("¡Correcto! Compruébalo en la celda siguiente.")
    if not 1 <= value <= NUM_TOKENS:
        return wrong(f"Todavía no: la entrada tiene {NUM_TOKENS} tokens, así que la respuesta está entre 1 y "
                     f"{NUM_TOKENS}.")
    hints = {
        WINDOW: "eso es lo que ve el último token en un solo bloque. Pero el bloque siguiente mira las salidas "
                "del anterior, y cada una de ellas ya había mezclado su propia ventana.",
        NUM_TOKENS: "la ventana sí limita: con pocos bloques, la información de los primeros tokens no llega "
                    "hasta el último.",
        N_LAYERS * WINDOW: "cada bloque alarga el alcance en menos de window tokens: uno de los window es el "
                           "propio token, que ya estaba.",
        N_LAYERS * (WINDOW - 1): "casi: ¿has contado también el propio último token?",
        (N_LAYERS - 1) * (WINDOW - 1) + 1: "¿has contado los tres bloques?",
    }
    return wrong_with_hint(value, hints, "Todavía no: empieza por un bloque (¿cuántos tokens ve el último?) y "
                                         "después añade bloques de uno en uno: cada salida del bloque anterior "
                                         "ya mezcló su propia ventana.")


def show_reach_experiment(answer):
    """Imprime, para 1, 2 y 3 bloques con la máscara de quien aprende (y para la causal), qué tokens de la
    entrada pueden cambiar los logits del último; solo si la máscara es correcta.

    Parámetros:
        answer: la función sliding_window_mask (o None si aún no la ha escrito).
    """
    if not ready_for_experiment(evaluate_sliding_window_mask(answer), "tu máscara"):
        return
    window_mask = answer(NUM_TOKENS, WINDOW)
    causal = torch.triu(torch.ones(NUM_TOKENS, NUM_TOKENS), diagonal=1)
    rows = [(f"ventana {WINDOW}, {n} bloque{'s' if n > 1 else ''}", window_mask, n) for n in range(1, N_LAYERS + 1)]
    rows.append((f"causal, {N_LAYERS} bloques", causal, N_LAYERS))
    print(f"{'posición del token':<24}" + "".join(f"{j:>3}" for j in range(NUM_TOKENS)) + "   influyen")
    for label, mask, n_layers in rows:
        reach = tokens_that_reach_last(mask, n_layers)
        print(f"{label:<24}" + "".join(f"{'●' if r else '·':>3}" for r in reach) + f"{sum(reach):>11}")
