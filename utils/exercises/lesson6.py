"""Preguntas «¿Lo has entendido?» del notebook 6: el tamaño de cada cabeza, la máscara causal y las cabezas
frente a los parámetros."""

import torch

from utils.attention import MultiHeadAttention
from utils.config import GPT_CONFIG_124M
from utils.exercises.common import as_bool, correct, reads_answer, to_count, to_float, wrong, wrong_with_hint

NUM_TOKENS = 6  # la frase del notebook: "Your journey starts with one step"
HEADS_CFG = {**GPT_CONFIG_124M, "n_heads": 16}  # la configuración de la pregunta 1


def head_dim(cfg=HEADS_CFG):
    """Devuelve el head_dim de la atención de un bloque con la configuración cfg (creada en el dispositivo meta)."""
    with torch.device("meta"):
        mha = MultiHeadAttention(cfg["emb_dim"], cfg["emb_dim"], cfg["context_length"], 0.0, cfg["n_heads"])
    return mha.head_dim


@reads_answer(to_float, "Escribe un número: {error}.")
def evaluate_head_dim(answer, cfg=HEADS_CFG):
    """Comprueba head_dim si en GPT_CONFIG_124M se cambia n_heads a 16 (emb_dim sigue en 768).

    Parámetros:
        answer: un número (entero, float o texto).
        cfg: la configuración de la pregunta.

    Devuelve:
        un Verdict.
    """
    expected = head_dim(cfg)
    d, h = cfg["emb_dim"], cfg["n_heads"]
    if answer == expected:
        return correct("¡Correcto! Las columnas de cada proyección se reparten a partes iguales entre las cabezas.")
    mistakes = {
        d: "ese es el tamaño de toda la proyección; cada cabeza se queda solo con una parte.",
        h: "ese es el número de cabezas, no el tamaño de cada una.",
        d * h: "las cabezas no multiplican el tamaño: se reparten el que hay.",
        GPT_CONFIG_124M["emb_dim"] // GPT_CONFIG_124M["n_heads"]: "ese es el head_dim con las 12 cabezas de "
                                                                 "GPT-2 (124M); la pregunta cambia n_heads.",
    }
    for wrong_value, hint in mistakes.items():
        if abs(answer - wrong_value) < 1e-6 and wrong_value != expected:
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no. Repasa cómo reparte MultiHeadAttention las columnas de d_out entre num_heads.")


def nonzero_weights(num_tokens=NUM_TOKENS):
    """Cuenta los pesos de atención que la máscara causal deja distintos de cero en una cabeza."""
    mask = torch.triu(torch.ones(num_tokens, num_tokens), diagonal=1).bool()
    return int((~mask).sum())


@reads_answer(to_count, "Escribe un número entero: {error}.")
def evaluate_nonzero_weights(answer):
    """Comprueba cuántos pesos de atención de una cabeza pueden ser distintos de cero con 6 tokens.

    Parámetros:
        answer: un número entero.

    Devuelve:
        un Verdict.
    """
    n = NUM_TOKENS
    if answer == nonzero_weights():
        return correct("¡Correcto! Cada token se ve a sí mismo y a los anteriores: la diagonal y lo que queda "
                       "debajo de ella.")
    mistakes = {
        n * n: "sin máscara serían todos; la máscara causal tapa las posiciones futuras.",
        n * (n - 1) // 2: "has quitado también la diagonal, pero cada token sí se ve a sí mismo.",
        n: "no es solo la diagonal: cada token ve también a todos los anteriores.",
        n * (n + 1): "cuenta una sola vez cada par (consulta, clave) que la máscara deja pasar.",
    }
    return wrong_with_hint(answer, mistakes, "Todavía no. Mira el mapa de calor de los pesos con máscara y cuenta las "
                                             "celdas que no están tapadas.")


@reads_answer(as_bool, "Responde sí o no (también vale True o False).")
def evaluate_heads_change_params(answer):
    """Comprueba si duplicar num_heads (con el mismo d_out) cambia los parámetros de MultiHeadAttention.

    Parámetros:
        answer: sí o no (True/False o un texto como "no").

    Devuelve:
        un Verdict.
    """
    with torch.device("meta"):
        counts = {h: sum(p.numel() for p in MultiHeadAttention(768, 768, 1024, 0.0, h).parameters())
                  for h in (12, 24)}
    changes = counts[12] != counts[24]
    if answer == changes:
        return correct("¡Correcto! W_query, W_key, W_value y out_proj siguen midiendo d_in × d_out y d_out × d_out; "
                       "solo cambia en cuántos trozos se reparten sus columnas.")
    return wrong("Todavía no. Mira qué capas crea MultiHeadAttention.__init__ y de qué tamaño es cada una: "
                 "¿alguna depende de num_heads?")
