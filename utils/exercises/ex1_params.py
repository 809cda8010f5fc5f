"""Ejercicio 1 del notebook 9: parámetros de la red feed-forward frente a los de la atención, en GPT-2 XL.

El libro hace la cuenta con el modelo de 124M, que el notebook 6 ya enseña; el ejercicio la pide para XL.
evaluate_block_params comprueba un bloque; evaluate_model_block_params, los n_layers bloques del modelo.
"""

import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_1558M
from utils.exercises.common import correct, diagnose_count, reads_answer, to_count, wrong
from utils.gpt import GPTModel, TransformerBlock

EXERCISE_CFG = GPT_CONFIG_1558M  # el modelo del enunciado: GPT-2 XL


def _block_counts(cfg):
    """Cuenta de verdad los parámetros de feed-forward y atención de un bloque (en el dispositivo meta)."""
    with torch.device("meta"):
        block = TransformerBlock(cfg)
    ff = sum(p.numel() for p in block.ff.parameters())
    att = sum(p.numel() for p in block.att.parameters())
    return ff, att


def _small_model_mistakes(cfg, module):
    """La pista para quien responde con el bloque de 124M, que el notebook 6 ya contó, en lugar del pedido."""
    if cfg["emb_dim"] == GPT_CONFIG_124M["emb_dim"]:
        return {}
    ff, att = _block_counts(GPT_CONFIG_124M)
    value = ff if module == "ff" else att
    return {value: f"ese es el número del bloque de 124M (emb_dim = {GPT_CONFIG_124M['emb_dim']}), el del notebook "
                   f"6; el enunciado pide el del bloque con emb_dim = {cfg['emb_dim']}."}


def _ff_mistakes(cfg):
    d = cfg["emb_dim"]
    ff, _ = _block_counts(cfg)
    return {
        **_small_model_mistakes(cfg, "ff"),
        ff - 5 * d: "parece que te has dejado los sesgos de las dos capas lineales (nn.Linear lleva bias=True).",
        ff - d: "parece que te has dejado el sesgo de la segunda capa lineal.",
        ff - 4 * d: "parece que te has dejado el sesgo de la primera capa lineal (la que expande a 4·emb_dim).",
        ff + 2 * d: "parece que has sumado una LayerNorm (norm2); el ejercicio pide solo el módulo ff.",
        ff + 4 * d: "parece que has sumado las dos LayerNorm del bloque; el ejercicio pide solo el módulo ff.",
        ff // 2: "parece que solo has contado una de las dos capas lineales.",
        2 * d * d: "parece que la capa oculta tiene emb_dim neuronas; en GPT-2 se expande a 4·emb_dim.",
    }


def _att_mistakes(cfg):
    d = cfg["emb_dim"]
    _, att = _block_counts(cfg)
    mask = cfg["context_length"] ** 2
    return {
        **_small_model_mistakes(cfg, "att"),
        att + 3 * d: "parece que has contado sesgos en W_query, W_key y W_value; con qkv_bias=False no los hay.",
        att - d: "parece que te has dejado el sesgo de out_proj (esa capa sí lleva bias).",
        att - d * d - d: "parece que te has dejado la proyección de salida out_proj.",
        att + mask: "parece que has contado la máscara causal: es un buffer (register_buffer), no un parámetro.",
        att + 2 * d: "parece que has sumado una LayerNorm (norm1); el ejercicio pide solo el módulo att.",
        att + 4 * d: "parece que has sumado las dos LayerNorm del bloque; el ejercicio pide solo el módulo att.",
        att * cfg["n_heads"]: "parece que has multiplicado por el número de cabezas: las cabezas se reparten "
                              "emb_dim, no tienen matrices propias de tamaño emb_dim × emb_dim.",
    }


@reads_answer(to_count, "Escribe cada respuesta como un número entero de parámetros: {error}.", answers=2)
def evaluate_block_params(ff_params, att_params, cfg=EXERCISE_CFG):
    """Comprueba los parámetros de la red feed-forward y de la atención de un bloque transformer.

    Parámetros:
        ff_params: parámetros del módulo ff de un bloque (int, float entero, texto o tensor).
        att_params: parámetros del módulo att de un bloque.
        cfg: configuración del modelo (por defecto, la de GPT-2 XL).

    Devuelve:
        un Verdict.
    """
    ff, att = _block_counts(cfg)
    if (ff_params, att_params) == (att, ff):
        return wrong("Los dos números están bien, pero al revés: ¿cuál de los dos módulos es el grande?")
    n = cfg["n_layers"]
    hints = []
    for value, expected, what in ((ff_params, ff, "ff"), (att_params, att, "att")):
        if value == expected * n:
            hints.append(f"{what}: ese número es el de los {n} bloques; aquí se pide uno solo.")
            continue
        mistakes = _ff_mistakes(cfg) if what == "ff" else _att_mistakes(cfg)
        hint = diagnose_count(value, expected, mistakes, what)
        if hint:
            hints.append(hint)
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    return correct("¡Correcto! La red feed-forward tiene prácticamente el doble de parámetros que la atención: "
                   "dos matrices de emb_dim × 4·emb_dim frente a cuatro de emb_dim × emb_dim.")



@reads_answer(to_count, "Escribe cada respuesta como un número entero de parámetros: {error}.", answers=2)
def evaluate_model_block_params(ff_total, att_total, cfg=EXERCISE_CFG):
    """Comprueba los parámetros de todas las redes feed-forward y todas las atenciones del modelo.

    Parámetros:
        ff_total: parámetros de los módulos ff de los n_layers bloques.
        att_total: parámetros de los módulos att de los n_layers bloques.
        cfg: configuración del modelo (por defecto, la de GPT-2 XL).

    Devuelve:
        un Verdict.
    """
    ff, att = _block_counts(cfg)
    n = cfg["n_layers"]
    if (ff_total, att_total) == (att * n, ff * n):
        return wrong("Los dos números están bien, pero al revés: ¿cuál de los dos módulos es el grande?")
    hints = []
    for value, expected, what in ((ff_total, ff, "ff"), (att_total, att, "att")):
        if value == expected * n:
            continue
        if value == expected:
            hints.append(f"{what}: ese es el número de un solo bloque; el modelo tiene n_layers = {n} bloques.")
            continue
        small_ff, small_att = _block_counts(GPT_CONFIG_124M)
        small_total = (small_ff if what == "ff" else small_att) * GPT_CONFIG_124M["n_layers"]
        if cfg["emb_dim"] != GPT_CONFIG_124M["emb_dim"] and value == small_total:
            hints.append(f"{what}: ese es el total del modelo de 124M; el enunciado pide el de {n} bloques con "
                         f"emb_dim = {cfg['emb_dim']}.")
            continue
        if value % n == 0:
            mistakes = _ff_mistakes(cfg) if what == "ff" else _att_mistakes(cfg)
            per_block = diagnose_count(value // n, expected, mistakes, what)
            if per_block and value // n in mistakes:
                hints.append(per_block)
                continue
        if value in (expected * (n - 1), expected * (n + 1)):
            hints.append(f"{what}: revisa por cuánto multiplicas; ¿cuántos bloques hay en cfg['n_layers']?")
            continue
        small_layers = GPT_CONFIG_124M["n_layers"]
        if n != small_layers and value == expected * small_layers:
            hints.append(f"{what}: has multiplicado por {small_layers}, los bloques del modelo de 124M; el del "
                         f"enunciado tiene n_layers = {n}.")
            continue
        hints.append(diagnose_count(value, expected * n, {}, what))
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    with torch.device("meta"):
        total = sum(p.numel() for p in GPTModel(cfg).parameters())
    share = round(100 * n * (ff + att) / total)
    return correct(f"¡Correcto! Entre las redes feed-forward y las atenciones suman el {share} % de los parámetros "
                   "del modelo; casi todo el resto está en tok_emb y out_head.")
