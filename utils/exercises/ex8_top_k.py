"""Ejercicio 8 del notebook 9: el filtro top-k, que deja muestrear solo entre los k tokens más probables.

La respuesta es una función top_k_filter(logits, k) que devuelve los logits con -inf en todos los que no
están entre los k mayores de su fila (el último eje). Se compara con la de utils/sampling.py.
"""

import torch

from utils.exercises.common import as_function, correct, unanswered, wrong
from utils.sampling import top_k_filter


def _call(fn, logits, k):
    """Llama a la función de quien aprende con una copia de logits; devuelve (salida, entrada tras la llamada)."""
    given = logits.clone()
    return fn(given, k), given


def _finite_per_row(out):
    """Devuelve cuántos valores finitos (no -inf) quedan en cada fila del último eje."""
    return torch.isfinite(out).sum(dim=-1)


def evaluate_top_k(answer):
    """Comprueba una función top_k_filter(logits, k) con lotes de logits aleatorios y varios k.

    Parámetros:
        answer: la función (logits, k) -> logits filtrados, de la misma forma.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    fn = as_function(answer)
    if not callable(fn):
        return wrong(f"Se espera una función top_k_filter(logits, k), y he recibido {type(answer).__name__}.")
    generator = torch.Generator().manual_seed(0)
    cases = [(torch.randn(5, 20, generator=generator), 3), (torch.randn(2, 3, 50, generator=generator), 1),
             (torch.randn(40, generator=generator) * 4, 10), (torch.randn(1, 8, generator=generator), 8)]
    for logits, k in cases:
        try:
            out, after = _call(fn, logits, k)
        except Exception as error:  # noqa: BLE001 - el fallo es del código de quien aprende: se lo explicamos
            return wrong(f"Con logits de forma {tuple(logits.shape)} y k={k}, tu función lanza "
                         f"{type(error).__name__}: {error}")
        if not torch.equal(after, logits):
            return wrong("Tu función cambia el tensor que recibe: devuelve uno nuevo (torch.where o masked_fill, "
                         "sin el _ final que modifica en su sitio); quien la llama puede necesitar los logits "
                         "originales.")
        if not isinstance(out, torch.Tensor):
            return wrong(f"Tu función debe devolver un tensor, y devuelve {type(out).__name__}.")
        if out.shape != logits.shape:
            if out.shape == logits.shape[:-1] + (k,):
                return wrong("Devuelves solo los k valores mayores (lo que da torch.topk); la salida debe tener la "
                             "forma de la entrada, con -inf en los demás, para que cada posición siga siendo un "
                             "token del vocabulario.")
            return wrong(f"Con logits de forma {tuple(logits.shape)}, tu función devuelve la forma "
                         f"{tuple(out.shape)}: debe devolver la misma.")
        expected = top_k_filter(logits, k)
        if torch.equal(out, expected):
            continue
        if torch.allclose(out, torch.softmax(expected, dim=-1), atol=1e-6):
            return wrong("Devuelves probabilidades; se piden logits filtrados (el softmax viene después, al "
                         "muestrear).")
        if torch.equal(out, expected.masked_fill(torch.isinf(expected), 0.0)):
            return wrong("Pones a 0 los logits descartados, pero un logit 0 sigue teniendo probabilidad tras el "
                         "softmax: usa float('-inf'), que da probabilidad 0.")
        if torch.equal(out, -top_k_filter(-logits, k)):
            return wrong("Te quedas con los k logits menores; se buscan los k mayores (los más probables).")
        kept = _finite_per_row(out)
        if logits.dim() > 1 and torch.equal(out.flatten(), top_k_filter(logits.flatten(), k)):
            return wrong("Eliges los k mayores de todo el lote junto; cada fila (el último eje, un vector de "
                         "logits por texto y posición) elige sus propios k.")
        if torch.all(kept == k + 1):
            return wrong("Dejas k + 1 candidatos en cada fila; revisa la comparación con el k-ésimo mayor "
                         "(descarta lo que sea menor que él, no lo que sea menor o igual que el siguiente).")
        if torch.all(kept == k - 1):
            return wrong("Dejas k - 1 candidatos en cada fila: el k-ésimo mayor también se queda (descarta lo que "
                         "sea estrictamente menor que él).")
        return wrong(f"Con logits de forma {tuple(logits.shape)} y k={k}, tu salida no coincide: cada fila debe "
                     "conservar sus k logits mayores sin cambiarlos y tener -inf en todos los demás.")
    return correct("¡Correcto! Tu filtro deja exactamente los k candidatos más probables de cada fila, sin tocar "
                   "sus logits, y descarta el resto con -inf.")
