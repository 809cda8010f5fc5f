"""Preguntas «¿Lo has entendido?» del notebook 6: qué deja pasar un bloque con las subcapas anuladas, qué
añade qkv_bias=True y si el número de cabezas cambia los parámetros del bloque."""

import torch

from utils.config import GPT_CONFIG_124M
from utils.exercises.common import (
    CHECK_CFG,
    as_bool,
    choice_verdict,
    correct,
    reads_answer,
    to_count,
    wrong,
    wrong_with_hint,
)
from utils.gpt import TransformerBlock


def _count(cfg):
    """Cuenta los parámetros de TransformerBlock(cfg), creado en el dispositivo meta (sin memoria)."""
    with torch.device("meta"):
        return sum(p.numel() for p in TransformerBlock(cfg).parameters())


def zeroed_block_choice(cfg=CHECK_CFG, seed=123):
    """Ejecuta la pregunta 1 con un bloque pequeño y devuelve la letra de la opción que describe su salida:
    a) ceros, b) la entrada x tal cual, c) norm1(x) o d) un error.

    Pone a cero los pesos y sesgos de att.out_proj y de ff.layers[2] (la última capa de cada subcapa), pasa
    un lote aleatorio en modo evaluación y compara la salida con las opciones.
    """
    generator = torch.Generator().manual_seed(seed)
    block = TransformerBlock(cfg).eval()
    x = torch.randn(2, 5, cfg["emb_dim"], generator=generator)
    try:
        with torch.no_grad():
            for layer in (block.att.out_proj, block.ff.layers[2]):
                layer.weight.zero_()
                layer.bias.zero_()
            out = block(x)
    except Exception:  # noqa: BLE001 - la opción d) es «un error»
        return "d"
    candidates = {"a": torch.zeros_like(x), "b": x, "c": block.norm1(x).detach()}
    return next((letter for letter, value in candidates.items() if torch.allclose(out, value, atol=1e-6)), None)


def evaluate_zeroed_block(answer):
    """Comprueba qué devuelve un bloque cuyas subcapas acaban en capas lineales puestas a cero.

    Parámetros:
        answer: la letra de la opción ("a", "b", "c" o "d"; también "B" o "b)").

    Devuelve:
        un Verdict.
    """
    hints = {
        "a": "las subcapas dan ceros, pero cada una se suma a su atajo; mira qué se suma con ellas.",
        "c": "norm1 solo normaliza la copia que entra en la atención; el atajo guarda x antes de normalizar.",
        "d": "poner pesos a cero no cambia ninguna forma: la pasada funciona.",
        "b": "repasa el forward línea a línea con att(...) y ff(...) devolviendo ceros.",
    }
    return choice_verdict(answer, zeroed_block_choice, hints=hints, praise=(
        "¡Correcto! Cada subcapa suma cero a su atajo, así que lo que entra sale sin cambiar: los atajos dejan "
        "pasar la señal (y el gradiente) aunque una subcapa aporte poco."))


def qkv_bias_extra(cfg=GPT_CONFIG_124M):
    """Cuenta cuántos parámetros más tiene un bloque con qkv_bias=True que con qkv_bias=False."""
    return _count({**cfg, "qkv_bias": True}) - _count({**cfg, "qkv_bias": False})


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_qkv_bias_extra(answer, cfg=GPT_CONFIG_124M):
    """Comprueba cuántos parámetros añade qkv_bias=True a un bloque de GPT-2 (124M).

    Parámetros:
        answer: un número entero de parámetros.
        cfg: la configuración de partida.

    Devuelve:
        un Verdict.
    """
    expected = qkv_bias_extra(cfg)
    if answer == expected:
        return correct("¡Correcto! Un vector de sesgo de emb_dim valores por cada proyección de consulta, clave "
                       "y valor; out_proj ya lo tenía.")
    d = cfg["emb_dim"]
    hints = {
        d: "no es un solo sesgo: qkv_bias afecta a tres proyecciones.",
        4 * d: "out_proj ya tenía sesgo con qkv_bias=False; solo cambian las otras proyecciones.",
        3 * d * d: "un sesgo es un vector, uno por salida de la capa, no una matriz.",
        3 * d * d + 3 * d: "las matrices ya estaban; qkv_bias solo añade los vectores de sesgo.",
        cfg["n_layers"] * 3 * d: "la pregunta es por un solo bloque, no por los doce.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Mira qué capas de MultiHeadAttention reciben bias=qkv_bias y "
                                          "cuántos valores tiene el sesgo de cada una.")


@reads_answer(as_bool, "Responde sí o no (también vale True o False).")
def evaluate_heads_change_block_params(answer, cfg=GPT_CONFIG_124M):
    """Comprueba si pasar n_heads de 12 a 24 (con el mismo emb_dim) cambia los parámetros del bloque.

    Parámetros:
        answer: sí o no (True/False o un texto como "no").
        cfg: la configuración de partida.

    Devuelve:
        un Verdict.
    """
    changes = _count(cfg) != _count({**cfg, "n_heads": 2 * cfg["n_heads"]})
    if answer == changes:
        return correct("¡Correcto! W_query, W_key, W_value y out_proj siguen midiendo emb_dim × emb_dim; las "
                       "cabezas solo reparten sus columnas en más trozos, y la red feed-forward no las mira.")
    return wrong("Todavía no. Repasa qué capas crea el bloque y de qué tamaño es cada una: ¿alguna depende de "
                 "n_heads?")
