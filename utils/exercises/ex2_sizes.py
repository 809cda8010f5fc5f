"""Ejercicio 2 del notebook 9: parámetros y memoria (MiB en float32) de GPT-2 medium, large y XL, y la cuenta al
revés: cuántos bloques de GPT-2 medium caben en 1 GiB.

evaluate_gpt2_sizes comprueba la función gpt2_stats(cfg); evaluate_max_layers, el número de bloques.
"""

import copy

import torch

from utils.config import GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.exercises.common import (
    NotANumber,
    close,
    correct,
    diagnose_count,
    reads_answer,
    to_count,
    to_float,
    unanswered,
    wrong,
    wrong_with_hint,
)
from utils.gpt import GPTModel

GPT2_SIZES = {"medium": GPT_CONFIG_355M, "large": GPT_CONFIG_774M, "xl": GPT_CONFIG_1558M}


def _size_parts(cfg):
    """Devuelve las piezas del recuento de GPTModel(cfg): total, capa de salida, sesgos, LayerNorms..."""
    d, v, c, n = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"], cfg["n_layers"]
    with torch.device("meta"):
        model = GPTModel(cfg)
    total = sum(p.numel() for p in model.parameters())
    biases = sum(p.numel() for name, p in model.named_parameters() if name.endswith("bias"))
    norms = sum(p.numel() for m in model.modules() if type(m).__name__ == "LayerNorm" for p in m.parameters())
    return {
        "total": total, "out_head": v * d, "tok_emb": v * d, "pos_emb": c * d, "biases": biases,
        "norms": norms, "final_norm": 2 * d, "masks": n * c * c,
    }


def _total_mistakes(parts):
    t = parts["total"]
    return {
        t + parts["out_head"]: "parece que cuentas la capa de salida dos veces.",
        t - parts["out_head"]: "ese es el recuento con pesos compartidos; el total incluye out_head.",
        t - parts["biases"]: "parece que te has dejado los sesgos (las nn.Linear llevan bias, salvo W_query, "
                             "W_key, W_value y out_head).",
        t - parts["norms"]: "parece que te has dejado los parámetros de las LayerNorm (scale y shift).",
        t - parts["final_norm"]: "parece que te has dejado la LayerNorm final (final_norm).",
        t - parts["pos_emb"]: "parece que te has dejado los embeddings de posición (pos_emb).",
        t + parts["masks"]: "parece que has contado las máscaras causales: son buffers, no parámetros.",
    }


def _mib_mistakes(parts):
    t = parts["total"]
    tied = t - parts["out_head"]
    return [
        (t * 4 / 1000**2, "has dividido entre 1000² (eso son MB); se piden MiB: 1 MiB son 1024² bytes."),
        (t / 1024**2, "te falta multiplicar por los bytes de cada parámetro (float32 ocupa 4)."),
        (t * 32 / 1024**2, "has multiplicado por 32: son bits; float32 ocupa 4 bytes."),
        (t * 8 / 1024**2, "has usado 8 bytes por parámetro (float64); float32 ocupa 4."),
        (t * 2 / 1024**2, "has usado 2 bytes por parámetro (float16); float32 ocupa 4."),
        (tied * 4 / 1024**2, "has usado el recuento con pesos compartidos; GPTModel guarda out_head aparte, "
                             "así que ocupa memoria el total."),
        (t * 4 / 1024**3, "eso son GiB (1024³); se piden MiB (1024²)."),
        (t * 4 / 1024, "eso son KiB (1024); se piden MiB (1024²)."),
    ]


def _evaluate_one_size(name, answer, cfg):
    """Devuelve la lista de pistas para un tamaño (vacía si todo está bien)."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        received = f"{len(answer)} valores" if isinstance(answer, (tuple, list)) else type(answer).__name__
        return [f"{name}: se esperan tres valores (total, con pesos compartidos, MiB) y he recibido {received}."]
    parts = _size_parts(cfg)
    total, tied = parts["total"], parts["total"] - parts["out_head"]
    hints = []
    try:
        total_value = to_count(answer[0])
        hint = diagnose_count(total_value, total, _total_mistakes(parts), f"{name}, total")
        if hint:
            hints.append(hint)
    except NotANumber as error:
        hints.append(f"{name}, total: {error}.")
    try:
        tied_value = to_count(answer[1])
        if tied_value != tied:
            tied_mistakes = {
                total: "no has restado nada: con pesos compartidos out_head reutiliza la matriz de tok_emb.",
                total - 2 * parts["out_head"]: "has restado la matriz de salida dos veces.",
                total - parts["out_head"] - parts["pos_emb"]: "solo se comparte out_head con tok_emb; pos_emb "
                                                              "sigue contando.",
            }
            for wrong_total, hint in _total_mistakes(parts).items():
                tied_mistakes.setdefault(wrong_total - parts["out_head"], "la resta está bien, pero el total del "
                                         "que partes no: " + hint)
            hints.append(diagnose_count(tied_value, tied, tied_mistakes, f"{name}, con pesos compartidos"))
    except NotANumber as error:
        hints.append(f"{name}, con pesos compartidos: {error}.")
    try:
        mib_value = to_float(answer[2])
        if abs(mib_value - total * 4 / 1024**2) >= 0.01:
            for wrong_mib, hint in _mib_mistakes(parts):
                if abs(mib_value - wrong_mib) < 0.01 or close(mib_value, wrong_mib, 1e-4):
                    hints.append(f"{name}, MiB: {hint}")
                    break
            else:
                if close(mib_value, total * 4 / 1024**2):
                    hints.append(f"{name}, MiB: muy cerca; da al menos dos decimales.")
                else:
                    hints.append(f"{name}, MiB: multiplica el total de parámetros por los bytes de un float32 "
                                 "y pásalo a MiB.")
    except NotANumber as error:
        hints.append(f"{name}, MiB: {error}.")
    return hints


def _size_answers(answer):
    """Obtiene {tamaño: (total, con pesos compartidos, MiB)} de una función o de un diccionario."""
    answers = {}
    if callable(answer):
        for name, cfg in GPT2_SIZES.items():
            answers[name] = answer(copy.deepcopy(cfg))
        return answers
    if isinstance(answer, dict):
        for key, value in answer.items():
            lowered = str(key).lower()
            for name in GPT2_SIZES:
                if name in lowered:
                    answers[name] = value
        return answers
    raise TypeError(type(answer).__name__)


def evaluate_gpt2_sizes(answer):
    """Comprueba total de parámetros, total con pesos compartidos y MiB en float32 de medium, large y XL.

    Parámetros:
        answer: una función cfg -> (total, con_pesos_compartidos, mib), o un diccionario
            {"medium": (...), "large": (...), "xl": (...)}.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    try:
        answers = _size_answers(answer)
    except TypeError as error:
        return wrong(f"Se espera una función que reciba una configuración, o un diccionario; he recibido {error}.")
    except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
        return wrong(f"Tu función lanza {type(error).__name__}: {error}")
    if all(value is None for value in answers.values()) and answers:
        return unanswered()
    missing = [name for name in GPT2_SIZES if name not in answers]
    if missing:
        return wrong(f"Faltan en tu diccionario los tamaños {', '.join(missing)} (claves 'medium', 'large' y 'xl').")
    hints = []
    for name, cfg in GPT2_SIZES.items():
        hints.extend(_evaluate_one_size(name, answers[name], cfg))
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    return correct("¡Correcto! Los tres tamaños cuadran: parámetros, pesos compartidos y memoria en float32.")


# La cuenta al revés: con la anchura de GPT-2 medium, ¿cuántos bloques caben en 1 GiB de parámetros float32?
BUDGET_BYTES = 1024**3


def _count(cfg):
    with torch.device("meta"):
        return sum(p.numel() for p in GPTModel(cfg).parameters())


def _max_layers_parts(cfg, budget_bytes):
    """Devuelve (parámetros de un bloque, parámetros fijos, parámetros float32 que caben en el presupuesto)."""
    one, two = (_count({**cfg, "n_layers": n}) for n in (1, 2))
    per_block = two - one
    return per_block, one - per_block, budget_bytes // 4


@reads_answer(to_count, "Escribe un número entero de bloques: {error}.")
def evaluate_max_layers(answer, cfg=GPT_CONFIG_355M, budget_bytes=BUDGET_BYTES):
    """Comprueba cuántos bloques puede tener como mucho un GPTModel como cfg para que sus parámetros quepan en
    budget_bytes en float32.

    Parámetros:
        answer: el número de bloques (entero, o texto que se lea como entero).
        cfg: configuración de la que se toman emb_dim, vocab_size y context_length (por defecto, GPT-2 medium).
        budget_bytes: la memoria disponible para los parámetros (por defecto, 1 GiB).

    Devuelve:
        un Verdict.
    """
    per_block, fixed, budget = _max_layers_parts(cfg, budget_bytes)
    expected = (budget - fixed) // per_block
    if answer == expected:
        return correct("¡Correcto! Un bloque más y los parámetros ya no caben. Compruébalo en la celda siguiente con "
                       "tu gpt2_stats.")
    out_head = cfg["vocab_size"] * cfg["emb_dim"]
    hints = {
        expected + 1: "con ese número de bloques los parámetros ya no caben en 1 GiB. ¿Has redondeado hacia "
                      "arriba?",
        budget // per_block: "has repartido el GiB solo entre los bloques; los embeddings, final_norm y out_head "
                             "también ocupan, tengas los bloques que tengas.",
        (budget - fixed + out_head) // per_block: "cuentas out_head como si compartiera la matriz de tok_emb; "
                                                  "nuestro GPTModel la guarda aparte.",
        (10**9 // 4 - fixed) // per_block: "1 GiB son 1024³ bytes, no 10⁹ (eso es 1 GB).",
        (budget // 2 - fixed) // per_block: "has usado 8 bytes por parámetro (float64); float32 ocupa 4.",
        (budget * 4 - fixed) // per_block: "te falta dividir los bytes entre los 4 que ocupa cada parámetro float32.",
        cfg["n_layers"]: "ese es el número de bloques de GPT-2 medium, que ocupa más de 1 GiB; busca cuántos caben.",
    }
    hints.pop(expected, None)
    if answer not in hints and answer > budget // per_block:
        return wrong("Todavía no: con tantos bloques, solo ellos ya ocupan más de 1 GiB. ¿Cuántos parámetros tiene "
                     "un bloque de este ancho?")
    if answer < 1:
        return wrong("Todavía no: el modelo necesita al menos un bloque, y uno cabe de sobra.")
    return wrong_with_hint(answer, hints, "Todavía no: separa lo que no depende de n_layers (embeddings, final_norm "
                                          "y out_head) de lo que añade cada bloque, y mira cuántos bloques caben en "
                                          "lo que queda del GiB.")
