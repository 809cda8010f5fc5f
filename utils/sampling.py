# utils/sampling.py
"""Muestreo: elegir el siguiente token al azar según sus probabilidades, con temperatura, top-k y top-p."""

import torch

from utils.checks import check_generation_args, check_sampling_args


def apply_temperature(logits, temperature):
    """Divide los logits entre la temperatura: menos de 1 concentra la probabilidad, más de 1 la reparte.

    Parámetros:
        logits: tensor (..., vocab_size).
        temperature: número mayor que 0.

    Devuelve:
        un tensor nuevo con la forma de logits.
    """
    return logits / temperature


def top_k_filter(logits, k):
    """Deja solo los k logits mayores de cada fila y pone -inf en los demás.

    Parámetros:
        logits: tensor (..., vocab_size).
        k: cuántos candidatos conservar, 1 o más (un k mayor que vocab_size los conserva todos).

    Devuelve:
        un tensor nuevo con la forma de logits; tras softmax, los descartados tienen probabilidad 0.
    """
    k = min(k, logits.shape[-1])
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1): el k-ésimo mayor
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits, p):
    """Deja el conjunto más pequeño de tokens cuya probabilidad sumada llega a p y pone -inf en los demás.

    Los tokens se recorren de más a menos probable; se conserva cada uno mientras la probabilidad de
    los anteriores no llegue a p, así que el más probable se conserva siempre.

    Parámetros:
        logits: tensor (..., vocab_size).
        p: probabilidad acumulada que se conserva, en (0, 1].

    Devuelve:
        un tensor nuevo con la forma de logits.
    """
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    mass_before = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], dim=-1)
    remove_sorted = mass_before >= p  # los anteriores ya llegan a p: este sobra
    remove = remove_sorted.scatter(-1, order, remove_sorted)  # vuelve al orden del vocabulario
    return logits.masked_fill(remove, float("-inf"))


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, top_p=None,
             generator=None, eos_id=None):
    """Añade hasta max_new_tokens tokens a idx, eligiendo cada uno al azar según las probabilidades del modelo.

    Parámetros:
        model: un modelo que devuelve logits (batch, num_tokens, vocab_size).
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar, como máximo.
        context_size: cuántos tokens, como máximo, ve el modelo en cada paso.
        temperature: 0 elige siempre el más probable (lo mismo que generate_text_simple); más de 0,
            muestrea tras dividir los logits entre la temperatura.
        top_k: si no es None, solo se muestrea entre los top_k tokens más probables.
        top_p: si no es None, solo entre los más probables cuya probabilidad sumada llega a top_p.
        generator: torch.Generator con semilla, para que los sorteos se puedan repetir.
        eos_id: id del token de fin de texto; si todas las secuencias lo eligen, se para sin añadirlo.
            Una secuencia que lo elige antes que las demás se rellena con eos_id.

    Devuelve:
        tensor (batch, num_tokens + tokens generados) con la entrada seguida de los tokens nuevos.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)  # un error en español si alguno no sirve
    check_sampling_args(temperature, top_k, top_p, generator, eos_id, idx.device)
    finished = torch.zeros(idx.shape[0], 1, dtype=torch.bool, device=idx.device)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]  # recorta al contexto que admite el modelo
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]  # solo importa la última posición: (batch, vocab_size)
        if temperature == 0:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)  # voraz; top_k y top_p no cambian el máximo
        else:
            logits = apply_temperature(logits, temperature)
            if top_k is not None:
                logits = top_k_filter(logits, top_k)
            if top_p is not None:
                logits = top_p_filter(logits, top_p)
            probas = torch.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probas, num_samples=1, generator=generator)  # (batch, 1)
        if eos_id is not None:
            finished = finished | (idx_next == eos_id)
            if finished.all():
                break
            idx_next = idx_next.masked_fill(finished, eos_id)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
