"""Preguntas «¿Lo has entendido?» del notebook 5: la forma de las puntuaciones con varias cabezas, qué fila no
cambia sin máscara causal, un error en la máscara y el factor del dropout."""

import torch

from utils.attention import MultiHeadAttention
from utils.config import GPT_CONFIG_124M
from utils.exercises.common import (
    choice_verdict,
    correct,
    reads_answer,
    to_float,
    to_shape,
    unanswered,
    wrong,
    wrong_with_hint,
)

BATCH, NUM_TOKENS = 8, 4  # la entrada de la pregunta 1: torch.rand(8, 4, 768)
TOKENS = ["Your", "journey", "starts", "with", "one", "step"]  # la frase del notebook
INPUTS = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                       [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
DROPOUT_P = 0.2  # la pregunta 4


def scores_shape(cfg=GPT_CONFIG_124M, batch=BATCH, num_tokens=NUM_TOKENS):
    """Devuelve la forma de attn_scores en la atención de un bloque de GPT-2 con una entrada (batch, num_tokens, 768).

    Sigue los pasos de MultiHeadAttention.forward en el dispositivo meta: solo importan las formas.
    """
    with torch.device("meta"):
        mha = MultiHeadAttention(cfg["emb_dim"], cfg["emb_dim"], cfg["context_length"], 0.0, cfg["n_heads"])
        x = torch.empty(batch, num_tokens, cfg["emb_dim"])
        queries = mha.W_query(x).view(batch, num_tokens, mha.num_heads, mha.head_dim).transpose(1, 2)
        keys = mha.W_key(x).view(batch, num_tokens, mha.num_heads, mha.head_dim).transpose(1, 2)
        return tuple((queries @ keys.transpose(2, 3)).shape)


@reads_answer(to_shape, "Escribe una forma, por ejemplo (2, 3, 4): {error}.")
def evaluate_scores_shape(answer):
    """Comprueba la forma de attn_scores con x = torch.rand(8, 4, 768) en la atención de GPT-2 (124M).

    Parámetros:
        answer: una forma (tupla, lista, torch.Size o texto como "(8, 12, 4, 4)").

    Devuelve:
        un Verdict.
    """
    expected = scores_shape()
    if answer == expected:
        return correct("¡Correcto! Una matriz de puntuaciones (num_tokens, num_tokens) por cada cabeza y cada "
                       "secuencia del lote.")
    b, t = BATCH, NUM_TOKENS
    h = GPT_CONFIG_124M["n_heads"]
    hd = GPT_CONFIG_124M["emb_dim"] // h
    ctx = GPT_CONFIG_124M["context_length"]
    hints = {
        (b, t, h, h): "esa forma saldría sin el transpose(1, 2): las cabezas quedarían comparándose entre sí, "
                      "y las puntuaciones comparan tokens.",
        (b, h, hd, hd): "has multiplicado en el otro orden: las puntuaciones son de tokens frente a tokens, no de "
                        "dimensiones.",
        (b, h, ctx, ctx): "context_length es el tamaño máximo de la máscara; la entrada tiene menos tokens.",
        (b, t, t): "falta la dimensión de las cabezas: cada cabeza tiene su propia matriz de puntuaciones.",
        (b, h, t, hd): "esa es la forma de queries; las puntuaciones salen de multiplicarlas por las claves "
                       "traspuestas.",
        (h, t, t): "falta la dimensión del lote: la entrada trae varias secuencias.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Escribe la forma después de cada línea: W_query(x), view, "
                                          "transpose(1, 2) y el producto por keys.transpose(2, 3).")


def unchanged_rows_without_mask(seed=123):
    """Devuelve los tokens cuya fila de pesos de atención es la misma con máscara causal y sin ella.

    Lo calcula con proyecciones aleatorias sobre la frase del notebook, como CausalAttention.
    """
    generator = torch.Generator().manual_seed(seed)  # sin tocar la semilla global
    W_query, W_key = (torch.rand(3, 2, generator=generator) for _ in range(2))
    scores = (INPUTS @ W_query) @ (INPUTS @ W_key).T
    mask = torch.triu(torch.ones(len(TOKENS), len(TOKENS)), diagonal=1).bool()
    masked = torch.softmax(scores.masked_fill(mask, -torch.inf) / 2**0.5, dim=-1)
    unmasked = torch.softmax(scores / 2**0.5, dim=-1)
    same = torch.isclose(masked, unmasked).all(dim=-1)
    return [token for token, is_same in zip(TOKENS, same.tolist(), strict=True) if is_same]


def _to_token(answer):
    """Lee el nombre de un token: "step", "«step»", " Step. "; "la última" cuenta como el último token."""
    text = str(answer).strip().strip("«»\"'.,;: ").lower()
    if text in ("última", "la última", "ultima", "la ultima", "la última fila", "la ultima fila"):
        return TOKENS[-1]
    for token in TOKENS:
        if text == token.lower():
            return token
    return None


def evaluate_unmasked_row(answer):
    """Comprueba qué fila de los pesos de atención no cambia si se quita la máscara causal.

    Parámetros:
        answer: el token de esa fila ("Your", "journey", ..., "step").

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    token = _to_token(answer)
    if token is None:
        return wrong("Responde con uno de los seis tokens de la frase, entre comillas: \"Your\", \"journey\", "
                     "\"starts\", \"with\", \"one\" o \"step\".")
    if token in unchanged_rows_without_mask():
        return correct("¡Correcto! El último token ya veía a todos: la máscara no le tapaba nada.")
    if token == TOKENS[0]:
        return wrong("Todavía no: esa es la fila que más cambia. Con máscara solo se ve a sí mismo; sin ella, "
                     "vería los seis tokens.")
    return wrong("Todavía no: sin máscara, ese token empezaría a ver tokens que van después de él. Busca la fila en "
                 "la que la máscara no tapa nada.")


def zero_fill_future_weight():
    """Devuelve el peso total que reciben las posiciones futuras si la máscara pone 0 en lugar de -inf.

    Es el error de la línea b) de la pregunta 3: si es mayor que 0, el token mira al futuro.
    """
    scores = INPUTS @ INPUTS.T
    mask = torch.triu(torch.ones(len(TOKENS), len(TOKENS)), diagonal=1).bool()
    weights = torch.softmax(scores.masked_fill(mask, 0.0), dim=-1)
    return float(weights[mask].sum())


def mask_bug_choice():
    """Devuelve la línea con el error de la pregunta 3: "b" si poner 0 en vez de -inf deja mirar al futuro."""
    return "b" if zero_fill_future_weight() > 0 else None


def evaluate_mask_bug(answer):
    """Comprueba en qué línea está el error del fragmento de atención causal de la pregunta 3.

    Parámetros:
        answer: la letra de la línea ("a", "b", "c" o "d"; también "B" o "b)").

    Devuelve:
        un Verdict.
    """
    hints = {
        "a": "esa línea calcula los productos escalares de consultas y claves, como en el notebook.",
        "b": "mira qué valor pone masked_fill en las posiciones futuras y qué hace softmax con él.",
        "c": "dividir entre la raíz de d_k y aplicar softmax por filas es lo que hace el notebook.",
        "d": "multiplicar los pesos por los valores es la media ponderada de siempre.",
    }
    advice = "Comprueba, línea a línea, si algún token puede acabar mirando al futuro."
    hints = {letter: f"{hint} {advice}" for letter, hint in hints.items()}
    return choice_verdict(answer, mask_bug_choice, what="una línea", hints=hints, praise=(
        "¡Correcto! Con 0 en lugar de −∞, softmax da a esas posiciones e⁰ = 1 antes de normalizar: los tokens "
        "siguen mirando al futuro."))


def dropout_survivor_value(p=DROPOUT_P):
    """Devuelve el valor que toma un 1 que sobrevive a nn.Dropout(p) en modo entrenamiento."""
    dropout = torch.nn.Dropout(p).train()
    generator_state = torch.get_rng_state()
    try:
        out = dropout(torch.ones(1000))
    finally:
        torch.set_rng_state(generator_state)  # no cambia la semilla de quien aprende
    return float(out.max())


@reads_answer(to_float, "Escribe un número: {error}.")
def evaluate_dropout_scale(answer):
    """Comprueba cuánto vale, en entrenamiento, un peso de atención 1 que sobrevive a nn.Dropout(0.2).

    Parámetros:
        answer: un número (se acepta la coma decimal en texto: "1,5").

    Devuelve:
        un Verdict.
    """
    expected = dropout_survivor_value()
    if abs(answer - expected) <= 1e-3:
        return correct("¡Correcto! Los supervivientes se dividen entre 1 − p, así que la suma media no cambia.")
    p = DROPOUT_P
    hints = {
        1 - p: "esa es la probabilidad de sobrevivir; los supervivientes se dividen entre ella, no se multiplican.",
        1 / p: "no se divide entre p, la probabilidad de apagar, sino entre la de sobrevivir.",
        2.0: "ese es el valor con p = 0,5, el del ejemplo del notebook; aquí p es otra.",
        1.0: "en modo entrenamiento los supervivientes no se quedan igual: se reescalan.",
        p: "p es la probabilidad de apagar un valor, no el factor que reciben los que sobreviven.",
        0.0: "los que se apagan valen 0; la pregunta es por los que sobreviven.",
    }
    for value, hint in hints.items():
        if abs(answer - value) <= 1e-3:
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no. Mira el ejemplo del notebook con p = 0,5: ¿entre qué se dividieron los unos que "
                 "sobrevivieron?")

