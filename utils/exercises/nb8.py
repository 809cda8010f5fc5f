"""Comprobaciones de los ejercicios del notebook 8: dicen si una respuesta es correcta y, si no, dan una pista.

Cada ejercicio tiene dos funciones: `evaluate_*` devuelve un `Verdict` (lo usan las pruebas) y `check_*`
lo imprime en español (lo usan los notebooks). Ninguna imprime la solución: solo dice si la respuesta
está bien y, cuando no, hacia dónde mirar.
"""

import copy
import inspect
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.exercises.common import (
    CHECK_CFG,
    NotANumber,
    Verdict,
    as_bool,
    as_function,
    close,
    correct,
    show,
    to_count,
    to_float,
    unanswered,
    wrong,
)
from utils.gpt import GPTModel, TransformerBlock

GPT2_SIZES = {"medium": GPT_CONFIG_355M, "large": GPT_CONFIG_774M, "xl": GPT_CONFIG_1558M}


# ---------------------------------------------------------------------------------------------------
# Ejercicio 1: parámetros de la red feed-forward frente a la atención
# ---------------------------------------------------------------------------------------------------

def _block_counts(cfg):
    """Cuenta de verdad los parámetros de feed-forward y atención de un bloque (en el dispositivo meta)."""
    with torch.device("meta"):
        block = TransformerBlock(cfg)
    ff = sum(p.numel() for p in block.ff.parameters())
    att = sum(p.numel() for p in block.att.parameters())
    return ff, att


def _ff_mistakes(cfg):
    d = cfg["emb_dim"]
    ff, _ = _block_counts(cfg)
    return {
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
        att + 3 * d: "parece que has contado sesgos en W_query, W_key y W_value; con qkv_bias=False no los hay.",
        att - d: "parece que te has dejado el sesgo de out_proj (esa capa sí lleva bias).",
        att - d * d - d: "parece que te has dejado la proyección de salida out_proj.",
        att + mask: "parece que has contado la máscara causal: es un buffer (register_buffer), no un parámetro.",
        att + 2 * d: "parece que has sumado una LayerNorm (norm1); el ejercicio pide solo el módulo att.",
        att + 4 * d: "parece que has sumado las dos LayerNorm del bloque; el ejercicio pide solo el módulo att.",
        att * cfg["n_heads"]: "parece que has multiplicado por el número de cabezas: las cabezas se reparten "
                              "emb_dim, no tienen matrices propias de tamaño emb_dim × emb_dim.",
    }


def _diagnose_count(value, expected, mistakes, what):
    """Devuelve None si value == expected; si no, una pista en español (sin el valor correcto)."""
    if value == expected:
        return None
    if value in mistakes:
        return f"{what}: {mistakes[value]}"
    if close(value, expected) and value % 1000 == 0:  # parece redondeado: 4.72e6, 406_000_000...
        return f"{what}: estás muy cerca, pero buscamos el número exacto, no una aproximación."
    if value < expected:
        return f"{what}: te faltan parámetros; recorre todas las capas del módulo, con pesos y sesgos."
    return f"{what}: te sobran parámetros; cuenta solo los de ese módulo y solo los parámetros (no los buffers)."


def evaluate_block_params(ff_params, att_params, cfg=GPT_CONFIG_124M):
    """Comprueba los parámetros de la red feed-forward y de la atención de un bloque transformer.

    Parámetros:
        ff_params: parámetros del módulo ff de un bloque (int, float entero, texto o tensor).
        att_params: parámetros del módulo att de un bloque.
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    if ff_params is None or att_params is None:
        return unanswered()
    try:
        ff_value, att_value = to_count(ff_params), to_count(att_params)
    except NotANumber as error:
        return wrong(f"Escribe cada respuesta como un número entero de parámetros: {error}.")
    ff, att = _block_counts(cfg)
    if (ff_value, att_value) == (att, ff):
        return wrong("Los dos números están bien, pero al revés: ¿cuál de los dos módulos es el grande?")
    n = cfg["n_layers"]
    hints = []
    for value, expected, what in ((ff_value, ff, "ff"), (att_value, att, "att")):
        if value == expected * n:
            hints.append(f"{what}: ese número es el de los {n} bloques; aquí se pide uno solo.")
            continue
        mistakes = _ff_mistakes(cfg) if what == "ff" else _att_mistakes(cfg)
        hint = _diagnose_count(value, expected, mistakes, what)
        if hint:
            hints.append(hint)
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    return correct("¡Correcto! La red feed-forward tiene prácticamente el doble de parámetros que la atención: "
                    "dos matrices de emb_dim × 4·emb_dim frente a cuatro de emb_dim × emb_dim.")


def check_block_params(ff_params, att_params, cfg=GPT_CONFIG_124M):
    """Imprime si los parámetros de ff y att de un bloque son correctos (ver evaluate_block_params)."""
    show(evaluate_block_params(ff_params, att_params, cfg))


def evaluate_model_block_params(ff_total, att_total, cfg=GPT_CONFIG_124M):
    """Comprueba los parámetros de todas las redes feed-forward y todas las atenciones del modelo.

    Parámetros:
        ff_total: parámetros de los módulos ff de los n_layers bloques.
        att_total: parámetros de los módulos att de los n_layers bloques.
        cfg: configuración del modelo (por defecto, GPT_CONFIG_124M).

    Devuelve:
        un Verdict.
    """
    if ff_total is None or att_total is None:
        return unanswered()
    try:
        ff_value, att_value = to_count(ff_total), to_count(att_total)
    except NotANumber as error:
        return wrong(f"Escribe cada respuesta como un número entero de parámetros: {error}.")
    ff, att = _block_counts(cfg)
    n = cfg["n_layers"]
    if (ff_value, att_value) == (att * n, ff * n):
        return wrong("Los dos números están bien, pero al revés: ¿cuál de los dos módulos es el grande?")
    hints = []
    for value, expected, what in ((ff_value, ff, "ff"), (att_value, att, "att")):
        if value == expected * n:
            continue
        if value == expected:
            hints.append(f"{what}: ese es el número de un solo bloque; el modelo tiene n_layers={n} bloques.")
            continue
        if value % n == 0:
            mistakes = _ff_mistakes(cfg) if what == "ff" else _att_mistakes(cfg)
            per_block = _diagnose_count(value // n, expected, mistakes, what)
            if per_block and value // n in mistakes:
                hints.append(per_block)
                continue
        if value in (expected * (n - 1), expected * (n + 1)):
            hints.append(f"{what}: revisa por cuánto multiplicas; ¿cuántos bloques hay en cfg['n_layers']?")
            continue
        hints.append(_diagnose_count(value, expected * n, {}, what))
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    return correct("¡Correcto! Entre las redes feed-forward y las atenciones suman unos 85 millones de "
                    "parámetros: algo más de la mitad del modelo. El resto está sobre todo en tok_emb y out_head.")


def check_model_block_params(ff_total, att_total, cfg=GPT_CONFIG_124M):
    """Imprime si los parámetros de ff y att de todo el modelo son correctos."""
    show(evaluate_model_block_params(ff_total, att_total, cfg))


# ---------------------------------------------------------------------------------------------------
# Ejercicio 2: tamaño de GPT-2 medium, large y XL
# ---------------------------------------------------------------------------------------------------

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


def _mb_mistakes(parts):
    t = parts["total"]
    tied = t - parts["out_head"]
    return [
        (t * 4 / 1000**2, "has dividido entre 1000²; aquí un MB son 1024² bytes."),
        (t / 1024**2, "te falta multiplicar por los bytes de cada parámetro (float32 ocupa 4)."),
        (t * 32 / 1024**2, "has multiplicado por 32: son bits; float32 ocupa 4 bytes."),
        (t * 8 / 1024**2, "has usado 8 bytes por parámetro (float64); float32 ocupa 4."),
        (t * 2 / 1024**2, "has usado 2 bytes por parámetro (float16); float32 ocupa 4."),
        (tied * 4 / 1024**2, "has usado el recuento con pesos compartidos; GPTModel guarda out_head aparte, "
                             "así que ocupa memoria el total."),
        (t * 4 / 1024**3, "eso son GB (1024³); se piden MB."),
        (t * 4 / 1024, "eso son KB (1024); se piden MB (1024²)."),
    ]


def _evaluate_one_size(name, answer, cfg):
    """Devuelve la lista de pistas para una talla (vacía si todo está bien)."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        received = f"{len(answer)} valores" if isinstance(answer, (tuple, list)) else type(answer).__name__
        return [f"{name}: se esperan tres valores (total, con pesos compartidos, MB) y he recibido {received}."]
    parts = _size_parts(cfg)
    total, tied = parts["total"], parts["total"] - parts["out_head"]
    hints = []
    try:
        total_value = to_count(answer[0])
        hint = _diagnose_count(total_value, total, _total_mistakes(parts), f"{name}, total")
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
            hints.append(_diagnose_count(tied_value, tied, tied_mistakes, f"{name}, con pesos compartidos"))
    except NotANumber as error:
        hints.append(f"{name}, con pesos compartidos: {error}.")
    try:
        mb_value = to_float(answer[2])
        if abs(mb_value - total * 4 / 1024**2) >= 0.01:
            for wrong_mb, hint in _mb_mistakes(parts):
                if abs(mb_value - wrong_mb) < 0.01 or close(mb_value, wrong_mb, 1e-4):
                    hints.append(f"{name}, MB: {hint}")
                    break
            else:
                if close(mb_value, total * 4 / 1024**2):
                    hints.append(f"{name}, MB: muy cerca; da al menos dos decimales.")
                else:
                    hints.append(f"{name}, MB: multiplica el total de parámetros por los bytes de un float32 "
                                 "y pásalo a MB.")
    except NotANumber as error:
        hints.append(f"{name}, MB: {error}.")
    return hints


def _size_answers(answer):
    """Obtiene {talla: (total, con pesos compartidos, MB)} de una función o de un diccionario."""
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
    """Comprueba total de parámetros, total con pesos compartidos y MB en float32 de medium, large y XL.

    Parámetros:
        answer: una función cfg -> (total, con_pesos_compartidos, mb), o un diccionario
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
    except Exception as error:  # noqa: BLE001 - el fallo es del código del alumno: se lo explicamos
        return wrong(f"Tu función lanzó {type(error).__name__}: {error}")
    if all(value is None for value in answers.values()) and answers:
        return unanswered()
    missing = [name for name in GPT2_SIZES if name not in answers]
    if missing:
        return wrong(f"Faltan las tallas {missing} en tu diccionario (claves 'medium', 'large' y 'xl').")
    hints = []
    for name, cfg in GPT2_SIZES.items():
        hints.extend(_evaluate_one_size(name, answers[name], cfg))
    if hints:
        return wrong("Todavía no. " + " ".join(hints))
    return correct("¡Correcto! Las tres tallas cuadran: parámetros, pesos compartidos y memoria en float32.")


def check_gpt2_sizes(answer):
    """Imprime si los tamaños de GPT-2 medium, large y XL son correctos (ver evaluate_gpt2_sizes)."""
    show(evaluate_gpt2_sizes(answer))


# ---------------------------------------------------------------------------------------------------
# Ejercicio 3: dropout distinto en embeddings, pesos de atención y atajos
# ---------------------------------------------------------------------------------------------------

def _dropout_kind(name):
    """Clasifica un nn.Dropout por su nombre: 'emb', 'attn', 'shortcut' o None si no se reconoce."""
    last = name.split(".")[-1]
    if name == "drop_emb":
        return "emb"
    if name.endswith("att.dropout"):
        return "attn"
    if "drop_shortcut" in last:
        return "shortcut"
    return None


def _build(model_class, cfg):
    torch.manual_seed(123)
    return model_class(copy.deepcopy(cfg))


def _class_answer_problem(answer, what):
    """Devuelve el Verdict que toca si la respuesta no es una clase que reciba cfg (o None si lo es).

    Parámetros:
        answer: lo que pasó el alumno (debería ser una clase, p. ej. GPTModelDropout).
        what: qué se espera, para el mensaje (p. ej. "del modelo").
    """
    if answer is None:
        return unanswered()
    if isinstance(answer, nn.Module):  # el error típico: pasar MiClase(cfg) en lugar de MiClase
        return wrong(f"Has pasado {type(answer).__name__}(...) ya creado; pasa la clase {what} sin crearla, "
                      f"sin paréntesis: {type(answer).__name__}.")
    if not callable(answer):
        return wrong(f"Se espera la clase {what} (algo que reciba cfg), y he recibido {type(answer).__name__}.")
    return None


def _dropout_problems(model, expected):
    """Lista los nn.Dropout cuya probabilidad no es la esperada, o que faltan."""
    problems = []
    found = {"emb": 0, "attn": 0, "shortcut": 0}
    labels = {"emb": "drop_rate_emb", "attn": "drop_rate_attn", "shortcut": "drop_rate_shortcut"}
    for name, module in model.named_modules():
        if not isinstance(module, nn.Dropout):
            continue
        kind = _dropout_kind(name)
        if kind is None:
            problems.append(f"no reconozco el dropout '{name}'; usa los nombres del libro (drop_emb, "
                            "att.dropout, drop_shortcut).")
            continue
        found[kind] += 1
        if module.p != expected[kind]:
            wrong_source = [k for k, v in expected.items() if v == module.p and k != kind]
            source = f" (parece que usas la tasa de {labels[wrong_source[0]]})" if wrong_source else ""
            problems.append(f"'{name}' tiene p={module.p} y debería usar {labels[kind]}{source}.")
    if found["emb"] == 0:
        problems.append("no encuentro el dropout de los embeddings (model.drop_emb).")
    if found["attn"] == 0:
        problems.append("no encuentro el dropout de los pesos de atención (trf_blocks[i].att.dropout).")
    if found["shortcut"] == 0:
        problems.append("no encuentro el dropout de los atajos (trf_blocks[i].drop_shortcut).")
    return problems


def evaluate_separate_dropout(model_class):
    """Comprueba un GPTModel con tasas de dropout separadas para embeddings, atención y atajos.

    Construye el modelo con una configuración con drop_rate_emb, drop_rate_attn y drop_rate_shortcut,
    con otra que solo tiene drop_rate y con otra mixta; mira la p de cada nn.Dropout, que cada uno se
    use en la pasada hacia delante y que en modo eval la salida sea la de GPTModel con los mismos pesos.

    Parámetros:
        model_class: la clase (o función) que recibe cfg y devuelve el modelo.

    Devuelve:
        un Verdict.
    """
    problem = _class_answer_problem(model_class, "del modelo")
    if problem:
        return problem
    configs = [
        ("con solo drop_rate", {**CHECK_CFG, "drop_rate": 0.25}, {"emb": 0.25, "attn": 0.25, "shortcut": 0.25}),
        ("con las tres tasas", {**CHECK_CFG, "drop_rate": 0.0, "drop_rate_emb": 0.1, "drop_rate_attn": 0.2,
                                "drop_rate_shortcut": 0.3}, {"emb": 0.1, "attn": 0.2, "shortcut": 0.3}),
        ("con drop_rate y solo drop_rate_attn", {**CHECK_CFG, "drop_rate": 0.05, "drop_rate_attn": 0.4},
         {"emb": 0.05, "attn": 0.4, "shortcut": 0.05}),
    ]
    for label, cfg, expected in configs:
        try:
            model = _build(model_class, cfg)
        except KeyError as error:
            return wrong(f"Con la configuración {label}, tu modelo lanza KeyError {error}: cuando falta una "
                          "tasa concreta hay que usar drop_rate (pista: cfg.get(clave, cfg['drop_rate'])).")
        except Exception as error:  # noqa: BLE001
            return wrong(f"Con la configuración {label}, crear tu modelo lanza {type(error).__name__}: {error}")
        if not isinstance(model, nn.Module):
            return wrong("Tu clase debe devolver un nn.Module (hereda de GPTModel o de nn.Module).")
        problems = _dropout_problems(model, expected)
        if problems:
            return wrong(f"Con la configuración {label}: " + " ".join(problems))

    # Cada dropout debe usarse en forward: los contamos con ganchos (hooks).
    model = _build(model_class, configs[1][1]).eval()
    calls = {"emb": 0, "attn": 0, "shortcut": 0}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Dropout) and _dropout_kind(name):
            kind = _dropout_kind(name)
            handles.append(module.register_forward_hook(lambda *_, kind=kind: calls.__setitem__(kind, calls[kind] + 1)))
    torch.manual_seed(0)
    idx = torch.randint(0, CHECK_CFG["vocab_size"], (2, 6))
    try:
        with torch.no_grad():
            out = model(idx)
    except Exception as error:  # noqa: BLE001
        return wrong(f"La pasada hacia delante de tu modelo lanza {type(error).__name__}: {error}")
    finally:
        for handle in handles:
            handle.remove()
    n = CHECK_CFG["n_layers"]
    unused = [what for what, needed in (("drop_emb", calls["emb"] >= 1), ("att.dropout", calls["attn"] >= n),
                                        ("drop_shortcut", calls["shortcut"] >= 2 * n)) if not needed]
    if unused:
        return wrong(f"Defines {', '.join(unused)}, pero forward no lo usa (o no en cada bloque y en cada atajo).")

    reference = _build(GPTModel, CHECK_CFG).eval()
    try:
        reference.load_state_dict(model.state_dict())
    except RuntimeError:
        return wrong("Los parámetros de tu modelo no se llaman como los de GPTModel; conserva los nombres del "
                      "libro (lo más fácil es heredar de GPTModel y de TransformerBlock).")
    with torch.no_grad():
        expected_out = reference(idx)
    if out.shape != expected_out.shape or not torch.allclose(out, expected_out, atol=1e-5):
        return wrong("En modo eval (sin dropout) tu modelo debería dar lo mismo que GPTModel con los mismos "
                      "pesos, y no lo da: revisa que forward siga el mismo orden que el del libro.")
    return correct("¡Correcto! Cada dropout usa su tasa, drop_rate sigue sirviendo y, en modo eval, "
                    "tu modelo calcula lo mismo que GPTModel.")


def check_separate_dropout(model_class):
    """Imprime si el modelo con dropout separado es correcto (ver evaluate_separate_dropout)."""
    show(evaluate_separate_dropout(model_class))


# ---------------------------------------------------------------------------------------------------
# Ejercicio 4: bloque post-LayerNorm
# ---------------------------------------------------------------------------------------------------

def _post_ln_variants(block, x):
    """Calcula, con las piezas de un TransformerBlock, el bloque post-LN y los errores típicos."""
    att, ff, n1, n2 = block.att, block.ff, block.norm1, block.norm2
    h = n1(x + att(x))
    variants = {"correct": n2(h + ff(h))}
    variants["pre-LN"] = block(x)
    h = x + n1(att(x))
    variants["norm-sublayer"] = h + n2(ff(h))
    h = n1(att(x))
    variants["no-shortcut"] = n2(ff(h))
    h = n1(x + att(x))
    variants["same-norm"] = n1(h + ff(h))
    h = n1(x + att(n1(x)))
    variants["pre-and-post"] = n2(h + ff(n2(h)))
    h = n2(x + att(x))
    variants["swapped-norms"] = n1(h + ff(h))
    return variants


POST_LN_HINTS = {
    "pre-LN": "tu bloque da lo mismo que el pre-LN de TransformerBlock: mueve cada LayerNorm a después de la suma.",
    "norm-sublayer": "normalizas la salida de la subcapa antes de sumarla al atajo; en post-LN la LayerNorm se "
                     "aplica a la suma (atajo + subcapa).",
    "no-shortcut": "falta la conexión de atajo: suma la entrada de cada subcapa a su salida antes de normalizar.",
    "same-norm": "usas norm1 en las dos subcapas; la segunda suma se normaliza con norm2.",
    "pre-and-post": "normalizas antes y después de cada subcapa; en post-LN solo se normaliza después de sumar.",
    "swapped-norms": "parece que has intercambiado norm1 y norm2.",
}


def evaluate_post_ln_block(block_class):
    """Comprueba un bloque transformer post-LayerNorm: norm1(x + att(x)) y luego norm2(h + ff(h)).

    Parámetros:
        block_class: la clase del bloque; recibe cfg y usa los nombres de TransformerBlock.

    Devuelve:
        un Verdict.
    """
    problem = _class_answer_problem(block_class, "del bloque")
    if problem:
        return problem
    try:
        block = _build(block_class, CHECK_CFG).eval()
    except Exception as error:  # noqa: BLE001
        return wrong(f"Crear tu bloque lanza {type(error).__name__}: {error}")
    reference = _build(TransformerBlock, CHECK_CFG).eval()
    with torch.no_grad():  # pesos distintos de 1 y 0 en las LayerNorm, para distinguir norm1 de norm2
        for module in (reference.norm1, reference.norm2):
            module.scale.uniform_(0.5, 1.5)
            module.shift.uniform_(-0.5, 0.5)
    try:
        block.load_state_dict(reference.state_dict())
    except RuntimeError:
        return wrong("Los parámetros de tu bloque no se llaman como los de TransformerBlock (att, ff, norm1, "
                      "norm2); lo más fácil es heredar de TransformerBlock y reescribir solo forward.")
    torch.manual_seed(0)
    x = torch.randn(2, 5, CHECK_CFG["emb_dim"])
    try:
        with torch.no_grad():
            out = block(x)
    except Exception as error:  # noqa: BLE001
        return wrong(f"La pasada hacia delante de tu bloque lanza {type(error).__name__}: {error}")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        return wrong("El bloque debe devolver un tensor con la misma forma que su entrada.")
    with torch.no_grad():
        variants = _post_ln_variants(reference, x)
    if torch.allclose(out, variants["correct"], atol=1e-5):
        return correct("¡Correcto! Tu bloque suma primero el atajo y normaliza después, como el transformer "
                        "original de 2017.")
    for name, hint in POST_LN_HINTS.items():
        if torch.allclose(out, variants[name], atol=1e-5):
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no: en cada subcapa, calcula atajo + subcapa(x) y normaliza esa suma (norm1 tras la "
                  "atención, norm2 tras la red feed-forward), sin LayerNorm antes de la subcapa.")


def check_post_ln_block(block_class):
    """Imprime si el bloque post-LayerNorm es correcto (ver evaluate_post_ln_block)."""
    show(evaluate_post_ln_block(block_class))


def pre_post_ln_stats(post_ln_class, n_layers=12, seed=123):
    """Mide, en un modelo pequeño de n_layers bloques, la desviación típica de la salida de cada bloque
    y la norma del gradiente de sus parámetros, con bloques pre-LN (TransformerBlock) y post-LN.

    Parámetros:
        post_ln_class: la clase del bloque post-LN.
        n_layers: número de bloques apilados.
        seed: semilla para los pesos y los datos.

    Devuelve:
        {"pre-LN": {"std": [...], "grad": [...]}, "post-LN": {...}}, una lista por bloque.
    """
    cfg = {**CHECK_CFG, "context_length": 32, "emb_dim": 64, "n_layers": n_layers}
    stats = {}
    for label, block_class in (("pre-LN", TransformerBlock), ("post-LN", post_ln_class)):
        torch.manual_seed(seed)
        model = GPTModel(cfg)
        torch.manual_seed(seed)  # los dos modelos empiezan con los mismos pesos en cada bloque
        model.trf_blocks = nn.Sequential(*[block_class(cfg) for _ in range(n_layers)])
        stds = []
        handles = [b.register_forward_hook(lambda _m, _i, out, stds=stds: stds.append(out.std().item()))
                   for b in model.trf_blocks]
        torch.manual_seed(seed)
        idx = torch.randint(0, cfg["vocab_size"], (4, cfg["context_length"]))
        target = torch.randint(0, cfg["vocab_size"], (4, cfg["context_length"]))
        logits = model(idx)
        loss = F.cross_entropy(logits.flatten(0, 1), target.flatten())
        loss.backward()
        for handle in handles:
            handle.remove()
        grads = [torch.sqrt(sum((p.grad**2).sum() for p in b.parameters())).item() for b in model.trf_blocks]
        stats[label] = {"std": stds, "grad": grads}
    return stats


# ---------------------------------------------------------------------------------------------------
# Ejercicio 5: GELU exacta frente a la aproximación con tanh
# ---------------------------------------------------------------------------------------------------

GELU_HINTS = [
    (lambda x: F.gelu(x, approximate="tanh"), "esa es la aproximación con tanh que usa GPT-2; aquí se pide la "
                                              "fórmula exacta, con la función de error torch.erf."),
    (lambda x: 0.5 * x * (1 + torch.erf(x * math.sqrt(2.0))), "multiplicas x por √2 dentro de erf; hay que "
                                                               "dividir entre √2."),
    (lambda x: 0.5 * x * (1 + torch.erf(x / 2.0)), "dentro de erf se divide entre √2, no entre 2."),
    (lambda x: x * (1 + torch.erf(x / math.sqrt(2.0))), "te falta el factor 0.5."),
    (lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2.0))), "eso es Φ(x), la función de distribución de la "
                                                           "normal; GELU la multiplica por x."),
    (lambda x: 0.5 * x * torch.erf(x / math.sqrt(2.0)), "te falta el 1 + dentro del paréntesis."),
    (lambda x: x * torch.sigmoid(1.702 * x), "esa es la aproximación con sigmoide; aquí se pide la fórmula "
                                             "exacta, con torch.erf."),
    (torch.relu, "eso es ReLU, no GELU."),
]


def evaluate_gelu_exact(answer):
    """Comprueba una GELU exacta, 0.5·x·(1 + erf(x/√2)), contra torch.nn.functional.gelu.

    Parámetros:
        answer: función x -> tensor, o una clase o instancia de nn.Module.

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    try:
        fn = as_function(answer)
        x = torch.linspace(-6, 6, 1201)
        out = fn(x)
        out3d = fn(x[:1200].reshape(3, 20, 20))
    except Exception as error:  # noqa: BLE001
        return wrong(f"Llamar a tu GELU lanza {type(error).__name__}: {error}")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape or out3d.shape != (3, 20, 20):
        return wrong("Tu GELU debe devolver un tensor con la misma forma que la entrada.")
    if torch.allclose(out, F.gelu(x), atol=1e-6, rtol=0):
        try:
            source = inspect.getsource(fn if not isinstance(fn, nn.Module) else type(fn))
        except (OSError, TypeError):
            source = ""
        if source and "erf" not in source and re.search(r"\.(gelu|GELU)\s*\(", source):
            return correct("Da lo mismo que F.gelu, pero parece que llamas a la GELU de PyTorch: el ejercicio "
                            "es escribirla tú con torch.erf.")
        return correct("¡Correcto! Tu GELU coincide con torch.nn.functional.gelu en todo el intervalo [-6, 6].")
    for reference, hint in GELU_HINTS:
        if torch.allclose(out, reference(x), atol=1e-6, rtol=0):
            return wrong(f"Todavía no: {hint}")
    return wrong("Todavía no: la fórmula es x por Φ(x), y Φ(x) = 0.5·(1 + erf(x/√2)).")


def check_gelu_exact(answer):
    """Imprime si la GELU exacta es correcta (ver evaluate_gelu_exact)."""
    show(evaluate_gelu_exact(answer))


def _gelu_gap():
    x = torch.linspace(-6, 6, 10001)
    return (F.gelu(x) - F.gelu(x, approximate="tanh")).abs()


def evaluate_gelu_max_diff(value):
    """Comprueba la diferencia máxima, en valor absoluto, entre la GELU exacta y la aproximación con tanh.

    Parámetros:
        value: la diferencia máxima en torch.linspace(-6, 6, 10001) (número o tensor de un elemento).

    Devuelve:
        un Verdict.
    """
    if value is None:
        return unanswered()
    try:
        number = to_float(value)
    except NotANumber as error:
        return wrong(f"Escribe la diferencia como un número: {error}.")
    gap = _gelu_gap()
    expected = gap.max().item()
    if abs(number - expected) <= 0.03 * expected:
        return correct("¡Correcto! Las dos curvas difieren en menos de una milésima: por eso GPT-2 podía usar la "
                        "aproximación sin perder nada.")
    if number < 0:
        return wrong("Todavía no: una diferencia máxima no puede ser negativa; toma el valor absoluto antes del "
                      "máximo.")
    if number < 1e-6:
        return wrong("Todavía no: te sale prácticamente cero; ¿comparas la GELU exacta consigo misma? Compárala "
                      "con F.gelu(x, approximate='tanh') o con GELU de utils.layers.")
    if abs(number - gap.mean().item()) <= 0.03 * gap.mean().item():
        return wrong("Todavía no: eso parece la diferencia media; se pide la máxima.")
    return wrong("Todavía no: calcula (exacta - aproximada).abs().max() sobre los 10001 puntos de "
                  "torch.linspace(-6, 6, 10001).")


def check_gelu_max_diff(value):
    """Imprime si la diferencia máxima entre las dos GELU es correcta."""
    show(evaluate_gelu_max_diff(value))


# ---------------------------------------------------------------------------------------------------
# Ejercicio 6: el modelo sin embeddings de posición
# ---------------------------------------------------------------------------------------------------

def evaluate_no_pos_model(model_class):
    """Comprueba un modelo igual que GPTModel pero sin información de posición.

    Vale tanto no sumar pos_emb en forward como dejar pos_emb a cero: se compara con un GPTModel que
    tiene los mismos pesos que el modelo del alumno y pos_emb a cero.

    Parámetros:
        model_class: la clase que recibe cfg; puede no tener pos_emb o ignorarlo.

    Devuelve:
        un Verdict.
    """
    problem = _class_answer_problem(model_class, "del modelo")
    if problem:
        return problem
    try:
        model = _build(model_class, CHECK_CFG).eval()
    except Exception as error:  # noqa: BLE001
        return wrong(f"Crear tu modelo lanza {type(error).__name__}: {error}")
    if not isinstance(model, nn.Module):
        return wrong("Tu clase debe devolver un nn.Module (hereda de GPTModel).")
    reference = _build(GPTModel, CHECK_CFG).eval()
    result = reference.load_state_dict(model.state_dict(), strict=False)
    wrong_names = [k for k in result.missing_keys if not k.startswith("pos_emb")] + list(result.unexpected_keys)
    if wrong_names:
        return wrong("Los parámetros de tu modelo no se llaman como los de GPTModel; lo más fácil es heredar de "
                      "GPTModel y reescribir solo forward.")
    torch.manual_seed(0)
    idx = torch.randint(0, CHECK_CFG["vocab_size"], (2, 7))
    try:
        with torch.no_grad():
            out = model(idx)
    except Exception as error:  # noqa: BLE001
        return wrong(f"La pasada hacia delante de tu modelo lanza {type(error).__name__}: {error}")
    with torch.no_grad():
        with_pos = reference(idx)
        reference.pos_emb.weight.zero_()
        without_pos = reference(idx)
    if not isinstance(out, torch.Tensor) or out.shape != with_pos.shape:
        return wrong("Tu modelo debe devolver logits de forma (batch, num_tokens, vocab_size).")
    if torch.allclose(out, without_pos, atol=1e-5):
        pos_emb = getattr(model, "pos_emb", None)
        if isinstance(pos_emb, nn.Embedding) and pos_emb.weight.requires_grad:
            probe = copy.deepcopy(model)
            with torch.no_grad():
                probe.pos_emb.weight.normal_()
                if not torch.allclose(probe(idx), out, atol=1e-5):
                    return correct("Correcto, con un matiz: pones pos_emb a cero, pero sigue siendo un parámetro; "
                                    "al entrenar dejaría de ser cero. Es más seguro no sumarlo en forward.")
        return correct("¡Correcto! Tu modelo calcula lo mismo que GPTModel, pero sin información de posición.")
    if torch.allclose(out, with_pos, atol=1e-5):
        return wrong("Todavía no: tu modelo sigue sumando los embeddings de posición.")
    return wrong("Todavía no: quita solo la suma de pos_emb y deja igual todo lo demás (drop_emb, bloques, "
                  "final_norm y out_head).")


def check_no_pos_model(model_class):
    """Imprime si el modelo sin embeddings de posición es correcto (ver evaluate_no_pos_model)."""
    show(evaluate_no_pos_model(model_class))


def evaluate_permutation_answers(with_mask, without_mask):
    """Comprueba las predicciones sobre permutar la entrada de un modelo sin embeddings de posición.

    Parámetros:
        with_mask: ¿permutar los tokens permuta igual los logits, con la máscara causal? (True/False o "sí"/"no")
        without_mask: la misma pregunta si además se quita la máscara causal.

    Devuelve:
        un Verdict.
    """
    if with_mask is None or without_mask is None:
        return unanswered()
    try:
        a, b = as_bool(with_mask), as_bool(without_mask)
    except NotANumber as error:
        return wrong(f"Responde con True o False (o «sí» / «no»); no entiendo {error}.")
    if a and b:
        return wrong("Todavía no: una de las dos no es cierta. Piensa qué tokens ve la última posición y "
                      "cuáles ve la primera cuando hay máscara causal.")
    if not a and not b:
        return wrong("Todavía no: sin posiciones y sin máscara, la atención trata la entrada como un conjunto; "
                      "¿qué queda entonces que dependa del orden?")
    if a and not b:
        return wrong("Todavía no: está al revés. ¿Cuál de los dos modelos sigue dependiendo del orden de los "
                      "tokens aunque no tenga pos_emb?")
    return correct("¡Correcto! Compruébalo en la celda siguiente.")


def check_permutation_answers(with_mask, without_mask):
    """Imprime si las dos predicciones sobre permutaciones son correctas."""
    show(evaluate_permutation_answers(with_mask, without_mask))


def permutation_error(model, idx, perm, causal=True):
    """Mide cuánto se aleja model(idx[:, perm]) de model(idx)[:, perm], opcionalmente sin máscara causal.

    Parámetros:
        model: un GPTModel (o uno con sus mismos nombres: trf_blocks[i].att.mask).
        idx: ids de tokens, forma (batch, num_tokens).
        perm: permutación de range(num_tokens).
        causal: False para desactivar la máscara causal de cada bloque (sobre una copia del modelo).

    Devuelve:
        la diferencia absoluta máxima entre los dos tensores de logits (0 si permutar conmuta con el modelo).
    """
    model = copy.deepcopy(model).eval()
    if not causal:
        with torch.no_grad():
            for block in model.trf_blocks:
                block.att.mask.zero_()  # ninguna posición queda oculta: cada token ve a todos
    with torch.no_grad():
        return (model(idx[:, perm]) - model(idx)[:, perm]).abs().max().item()


def _fmt_row(label, values, width=8):
    return f"{label:<16}" + "".join(f"{v:>{width}.2f}" for v in values)


def show_pre_post_ln_stats(post_ln_class, n_layers=12):
    """Imprime, bloque a bloque, la desviación típica de la salida y la norma del gradiente con pre-LN
    y con post-LN; solo si el bloque post-LN del alumno es correcto.

    Parámetros:
        post_ln_class: la clase del bloque post-LN del alumno (o None si aún no la ha escrito).
        n_layers: número de bloques apilados.
    """
    verdict = evaluate_post_ln_block(post_ln_class)
    if verdict.status != "correct":
        show(verdict if verdict.status == "unanswered" else
             Verdict("wrong", "Primero haz que la comprobación de tu bloque post-LN salga bien."))
        return
    stats = pre_post_ln_stats(post_ln_class, n_layers=n_layers)
    print(f"{'bloque':<16}" + "".join(f"{i:>8}" for i in range(1, n_layers + 1)))
    print("desviación típica de la salida")
    for label in stats:
        print(_fmt_row(f"  {label}", stats[label]["std"]))
    print("norma del gradiente de los parámetros del bloque")
    for label in stats:
        print(_fmt_row(f"  {label}", stats[label]["grad"]))


def show_permutation_experiment(model_class, num_tokens=8):
    """Imprime cuánto se aleja model(idx permutado) de model(idx) permutado, para GPTModel y para el modelo
    sin posición del alumno, con y sin máscara causal; solo si ese modelo es correcto.

    Parámetros:
        model_class: la clase del modelo sin embeddings de posición (o None si aún no la ha escrito).
        num_tokens: longitud de la secuencia de prueba (como mucho CHECK_CFG["context_length"]).
    """
    verdict = evaluate_no_pos_model(model_class)
    if verdict.status != "correct":
        show(verdict if verdict.status == "unanswered" else
             Verdict("wrong", "Primero haz que la comprobación de tu modelo sin posición salga bien."))
        return
    normal = _build(GPTModel, CHECK_CFG)
    no_pos = _build(model_class, CHECK_CFG)
    no_pos.load_state_dict(normal.state_dict(), strict=False)
    torch.manual_seed(0)
    idx = torch.randint(0, CHECK_CFG["vocab_size"], (2, num_tokens))
    perm = torch.randperm(num_tokens)

    def describe(error):
        return "se conserva" if error < 1e-5 else f"cambia ({error:.2f})"

    print(f"{'':<24}{'con máscara causal':<22}{'sin máscara causal':<22}")
    for label, model in (("GPTModel", normal), ("tu modelo sin pos_emb", no_pos)):
        cells = [describe(permutation_error(model, idx, perm, causal)) for causal in (True, False)]
        print(f"{label:<24}{cells[0]:<22}{cells[1]:<22}")
