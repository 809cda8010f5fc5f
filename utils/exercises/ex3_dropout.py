"""Ejercicio 3 del notebook 9: una tasa de dropout para los embeddings, otra para la atención y otra para los atajos."""

import torch
import torch.nn as nn

from utils.exercises.common import CHECK_CFG, build_seeded, class_answer_problem, correct, forward_answer, wrong
from utils.gpt import GPTModel

# Las claves que este ejercicio añade a la configuración; check_config las acepta si se le pasan en extra_keys.
DROPOUT_KEYS = ("drop_rate_emb", "drop_rate_attn", "drop_rate_shortcut")


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
    problem = class_answer_problem(model_class, "del modelo")
    if problem:
        return problem
    configs = [
        ("que solo trae drop_rate", {**CHECK_CFG, "drop_rate": 0.25}, {"emb": 0.25, "attn": 0.25, "shortcut": 0.25}),
        ("que trae las tres tasas", {**CHECK_CFG, "drop_rate": 0.0, "drop_rate_emb": 0.1, "drop_rate_attn": 0.2,
                                "drop_rate_shortcut": 0.3}, {"emb": 0.1, "attn": 0.2, "shortcut": 0.3}),
        ("que trae drop_rate y solo drop_rate_attn", {**CHECK_CFG, "drop_rate": 0.05, "drop_rate_attn": 0.4},
         {"emb": 0.05, "attn": 0.4, "shortcut": 0.05}),
    ]
    for label, cfg, expected in configs:
        try:
            model = build_seeded(model_class, cfg)
        except KeyError as error:
            return wrong(f"Con la configuración {label}, tu modelo lanza KeyError {error}: cuando falta una "
                         "tasa concreta hay que usar drop_rate (pista: cfg.get(clave, cfg['drop_rate'])).")
        except ValueError as error:
            if any(key in str(error) for key in DROPOUT_KEYS):
                return wrong(f"Con la configuración {label}, GPTModel rechaza una clave nueva ({error}). GPTModel "
                             "solo acepta las claves que usa: comprueba tú la configuración con "
                             "check_config(cfg, extra_keys=DROPOUT_KEYS) y pasa a super().__init__ una copia sin "
                             "las tres tasas nuevas.")
            return wrong(f"Con la configuración {label}, crear tu modelo lanza ValueError: {error}")
        except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
            return wrong(f"Con la configuración {label}, crear tu modelo lanza {type(error).__name__}: {error}")
        if not isinstance(model, nn.Module):
            return wrong("Tu clase debe crear un nn.Module (hereda de GPTModel).")
        problems = _dropout_problems(model, expected)
        if problems:
            return wrong(f"Con la configuración {label}: " + " ".join(problems))

    # Cada dropout debe usarse en forward: los contamos con hooks.
    model = build_seeded(model_class, configs[1][1]).eval()
    calls = {"emb": 0, "attn": 0, "shortcut": 0}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Dropout) and _dropout_kind(name):
            kind = _dropout_kind(name)
            handles.append(module.register_forward_hook(lambda *_, kind=kind: calls.__setitem__(kind, calls[kind] + 1)))
    torch.manual_seed(0)
    idx = torch.randint(0, CHECK_CFG["vocab_size"], (2, 6))
    out, problem = forward_answer(model, idx, "modelo")
    for handle in handles:
        handle.remove()
    if problem:
        return problem
    n = CHECK_CFG["n_layers"]
    unused = [what for what, needed in (("drop_emb", calls["emb"] >= 1), ("att.dropout", calls["attn"] >= n),
                                        ("drop_shortcut", calls["shortcut"] >= 2 * n)) if not needed]
    if unused:
        return wrong(f"Tu modelo crea {' y '.join(unused)}, pero forward no lo usa (o no en cada bloque y en cada "
                     "atajo).")

    reference = build_seeded(GPTModel, CHECK_CFG).eval()
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
