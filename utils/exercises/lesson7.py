"""Preguntas «¿Lo has entendido?» del notebook 7: la memoria de los pesos y lo que ahorra compartir
tok_emb y out_head en GPT-2 medium."""

import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M
from utils.exercises.common import close, correct, reads_answer, to_count, to_float, wrong, wrong_with_hint
from utils.gpt import GPTModel

NUM_PARAMS = 100_000_000  # el modelo de la pregunta 1
BYTES_FLOAT32 = 4


def float32_mib(num_params=NUM_PARAMS):
    """Devuelve los MiB que ocupan num_params parámetros en float32 (4 bytes cada uno, 1 MiB = 1024² bytes)."""
    return num_params * BYTES_FLOAT32 / 1024**2


@reads_answer(to_float, "Escribe un número de MiB: {error}.")
def evaluate_float32_mib(answer):
    """Comprueba cuántos MiB ocupan en float32 los pesos de un modelo de 100 millones de parámetros.

    Parámetros:
        answer: un número (acepta decimales con punto o coma; un 1 % de margen por el redondeo).

    Devuelve:
        un Verdict.
    """
    expected = float32_mib()
    if close(answer, expected):
        return correct("¡Correcto! 4 bytes por parámetro, y un MiB son 1024 · 1024 bytes.")
    mistakes = [
        (NUM_PARAMS * BYTES_FLOAT32 / 1e6, "has dividido entre un millón (MB); el curso usa MiB, que son 1024² "
                                           "bytes."),
        (NUM_PARAMS / 1024**2, "te falta el tamaño de cada número: un float32 ocupa 4 bytes."),
        (NUM_PARAMS * BYTES_FLOAT32 / 1024**3, "eso son GiB (entre 1024³); la pregunta pide MiB."),
        (NUM_PARAMS * 32 / 1024**2, "un float32 tiene 32 bits, pero se cuentan bytes: 4 por número."),
        (NUM_PARAMS * 2 / 1024**2, "eso sería en 16 bits (2 bytes); la pregunta es en float32."),
    ]
    for wrong_value, hint in mistakes:
        if close(answer, wrong_value):
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no. Repasa la celda que calcula el tamaño del modelo: bytes por parámetro y qué se "
                 "divide entre qué.")


def tying_counts(cfg=GPT_CONFIG_355M):
    """Cuenta de verdad (en el dispositivo meta) los parámetros de GPTModel con las matrices separadas y
    compartiendo tok_emb y out_head; devuelve (separadas, compartidas)."""
    with torch.device("meta"):
        model = GPTModel(cfg)
    separate = sum(p.numel() for p in model.parameters())
    model.out_head.weight = model.tok_emb.weight
    return separate, sum(p.numel() for p in model.parameters())  # parameters() no repite un tensor compartido


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_tying_savings(answer, cfg=GPT_CONFIG_355M):
    """Comprueba cuántos parámetros se ahorran en GPT-2 medium (355M) compartiendo tok_emb y out_head.

    Parámetros:
        answer: un número entero de parámetros.
        cfg: la configuración de la pregunta.

    Devuelve:
        un Verdict.
    """
    separate, tied = tying_counts(cfg)
    expected = separate - tied
    v, d = cfg["vocab_size"], cfg["emb_dim"]
    if answer == expected:
        return correct("¡Correcto! Se ahorra una matriz entera de vocab_size × emb_dim.")
    mistakes = {
        2 * v * d: "compartir no elimina las dos matrices: queda una, que usan las dos capas.",
        v * d + v: "out_head no tiene sesgo (bias=False): solo se ahorra su matriz de pesos.",
        tied: "ese es el total que queda después de compartir, no lo que se ahorra.",
        cfg["context_length"] * d: "esa es la tabla de posiciones (pos_emb), que no se comparte con nada.",
        v: "cada token no tiene un solo número en la tabla, sino un vector entero.",
        v * GPT_CONFIG_124M["emb_dim"]: "ese es el ahorro en GPT-2 (124M); la pregunta es sobre GPT-2 medium, con "
                                        "otro emb_dim.",
    }
    return wrong_with_hint(answer, mistakes, "Todavía no. Mira las formas de tok_emb.weight y out_head.weight: "
                                             "¿cuántos números tiene la matriz que deja de estar repetida?")
