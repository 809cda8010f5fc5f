"""Ejercicio 8 del notebook 9: la penalización por repetición, que hace menos probables los tokens que ya están
en el texto.

La respuesta es una función apply_repetition_penalty(logits, idx, penalty) con la regla del parámetro
repetition_penalty de la biblioteca transformers de Hugging Face: en cada texto del lote, el logit de cada token
que ya aparece en idx se divide entre penalty si es positivo y se multiplica por penalty si es negativo; los
demás no cambian. El artículo de CTRL (Keskar et al., 2019), que propuso la penalización, dividía todos los
logits de esos tokens entre penalty, también los negativos, y así hacía más probables los que tenían logit
negativo.
"""

import torch

from utils.exercises.common import correct, unanswered, wrong


def _penalize(logits, penalty):
    """Aplica la regla a todos los logits: los positivos se dividen entre penalty y los negativos se multiplican."""
    return torch.where(logits > 0, logits / penalty, logits * penalty)


def _seen(logits, idx):
    """Devuelve una máscara de bool con la forma de logits: True en los tokens que aparecen en la fila de idx."""
    return torch.zeros_like(logits, dtype=torch.bool).scatter(-1, idx, True)


def _reference(logits, idx, penalty):
    return torch.where(_seen(logits, idx), _penalize(logits, penalty), logits)


def _cases():
    """Lotes de prueba: logits positivos y negativos, historiales distintos por fila y tokens repetidos."""
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 20, generator=generator) * 3
    idx = torch.tensor([[2, 5, 5, 7, 2, 2, 11], [0, 1, 2, 3, 4, 5, 6], [19, 19, 19, 19, 19, 19, 19]])
    return [
        (logits, idx, 1.5),
        (torch.randn(2, 50, generator=generator) * 2, torch.randint(0, 50, (2, 12), generator=generator), 2.0),
        (logits, idx, 1.0),
    ]


def _diagnose(out, logits, idx, penalty):
    """Devuelve la pista del error típico que explica out, o None si no es ninguno conocido."""
    seen = _seen(logits, idx)
    counts = torch.zeros_like(logits).scatter_add(-1, idx, torch.ones_like(idx, dtype=logits.dtype))
    union = seen.any(dim=0, keepdim=True).expand_as(seen)

    def close(expected):
        return torch.allclose(out, expected, atol=1e-5)

    if close(logits):
        return "tu función devuelve los logits sin cambiar: los tokens que ya están en idx deben quedar penalizados."
    if close(torch.softmax(_reference(logits, idx, penalty), dim=-1)):
        return "devuelves probabilidades; se piden logits penalizados (el softmax viene después, al muestrear)."
    if close(torch.where(seen, logits / penalty, logits)):
        return ("divides todos los logits de los tokens repetidos, también los negativos. Al dividir un logit "
                "negativo entre penalty se acerca a 0 y ese token se vuelve más probable: los negativos se "
                "multiplican.")
    if close(torch.where(seen, logits * penalty, logits)):
        return ("multiplicas todos los logits de los tokens repetidos por penalty, también los positivos, que "
                "crecen y hacen ese token más probable: los positivos se dividen.")
    if close(torch.where(seen, torch.where(logits > 0, logits * penalty, logits / penalty), logits)):
        return ("está al revés: con penalty > 1 has hecho más probables los tokens repetidos. Un logit positivo "
                "se divide entre penalty; uno negativo se multiplica.")
    if close(torch.where(seen, logits - penalty, logits)):
        return ("restar penalty es otra penalización (la de presencia); aquí se divide o se multiplica según el "
                "signo del logit.")
    if close(torch.where(union, _penalize(logits, penalty), logits)):
        return ("penalizas en cada fila los tokens de todo el lote. Cada texto del lote tiene su propio "
                "historial: la fila b de logits solo mira la fila b de idx.")
    if close(torch.where(~seen, _penalize(logits, penalty), logits)):
        return "penalizas los tokens que todavía no han salido; deben ser los que ya están en idx."
    if close(_penalize(logits, penalty)):
        return "penalizas todo el vocabulario; solo cambian los tokens que ya están en idx."
    repeated = torch.where(logits > 0, logits / penalty**counts, logits * penalty**counts)
    if not torch.equal(counts.clamp(max=1), counts) and close(repeated):
        return ("penalizas un token tantas veces como aparece. Cada token se penaliza una sola vez, aparezca "
                "una vez o diez.")
    return None


def evaluate_repetition_penalty(answer):
    """Comprueba una función apply_repetition_penalty(logits, idx, penalty) con lotes aleatorios.

    Parámetros:
        answer: la función (logits (batch, vocab_size), idx (batch, num_tokens), penalty) -> logits penalizados,
            un tensor nuevo con la forma de logits.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    if not callable(answer):
        return wrong("Se espera una función apply_repetition_penalty(logits, idx, penalty), y he recibido "
                     f"{type(answer).__name__}.")
    for logits, idx, penalty in _cases():
        given_logits, given_idx = logits.clone(), idx.clone()
        try:
            out = answer(given_logits, given_idx, penalty)
        except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
            return wrong(f"Con logits de forma {tuple(logits.shape)}, idx de forma {tuple(idx.shape)} y "
                         f"penalty={penalty}, tu función lanza {type(error).__name__}: {error}")
        if not torch.equal(given_logits, logits) or not torch.equal(given_idx, idx):
            return wrong("Tu función cambia los tensores que recibe: devuelve uno nuevo (torch.where, o scatter sin "
                         "el _ final); quien la llama puede necesitar los logits originales.")
        if not isinstance(out, torch.Tensor):
            return wrong(f"Tu función debe devolver un tensor, y devuelve {type(out).__name__}.")
        if out.shape != logits.shape:
            return wrong(f"Con logits de forma {tuple(logits.shape)}, tu función devuelve la forma "
                         f"{tuple(out.shape)}: debe devolver la misma, un logit por token del vocabulario.")
        if torch.allclose(out, _reference(logits, idx, penalty), atol=1e-5):
            continue
        hint = _diagnose(out, logits, idx, penalty)
        if hint:
            return wrong(f"Todavía no: {hint}")
        if penalty == 1.0:
            return wrong("Todavía no: con penalty = 1 los logits no deben cambiar.")
        return wrong(f"Todavía no: con penalty={penalty}, tu salida no coincide. Los tokens que no están en su fila "
                     "de idx quedan igual; los que están, divididos entre penalty si su logit es positivo y "
                     "multiplicados si es negativo.")
    return correct("¡Correcto! Cada texto penaliza una vez los tokens que ya ha escrito, y siempre hacia abajo: "
                   "los logits positivos se dividen y los negativos se multiplican.")
