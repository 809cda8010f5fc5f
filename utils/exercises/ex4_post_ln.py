"""Ejercicio 4 del notebook 9: el bloque post-LayerNorm y su comparación con el pre-LN de GPT-2.

evaluate_post_ln_block comprueba el bloque; evaluate_std_prediction, la predicción de en qué variante crece la
desviación típica de la salida de bloque en bloque; show_pre_post_ln_stats hace la medida.
"""

import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.exercises.common import (
    CHECK_CFG,
    NotANumber,
    build_answer,
    build_seeded,
    correct,
    forward_answer,
    reads_answer,
    ready_for_experiment,
    wrong,
)
from utils.gpt import GPTModel, TransformerBlock


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
    block, problem = build_answer(block_class, CHECK_CFG, "del bloque", "bloque")
    if problem:
        return problem
    reference = build_seeded(TransformerBlock, CHECK_CFG).eval()
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
    out, problem = forward_answer(block, x, "bloque")
    if problem:
        return problem
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


STD_CHOICES = {"preln": "pre-LN", "postln": "post-LN", "lasdos": "las dos", "ambas": "las dos",
               "ninguna": "ninguna"}


def _as_variant(answer):
    """Lee "pre-LN", "post-LN", "las dos" o "ninguna", sin distinguir mayúsculas, espacios ni guiones."""
    key = re.sub(r"[\s_\-.]", "", str(answer).lower()) if isinstance(answer, str) else None
    if key not in STD_CHOICES:
        raise NotANumber(repr(answer))
    return STD_CHOICES[key]


@reads_answer(_as_variant, 'Escribe "pre-LN", "post-LN", "las dos" o "ninguna"; no entiendo {error}.')
def evaluate_std_prediction(answer):
    """Comprueba la predicción: en qué variante crece de bloque en bloque la desviación típica de la salida.

    Parámetros:
        answer: "pre-LN", "post-LN", "las dos" o "ninguna".

    Devuelve:
        un Verdict.
    """
    if answer == "pre-LN":
        return correct("¡Correcto! Compruébalo en la celda siguiente.")
    hints = {
        "post-LN": "mira en la figura qué es lo último que hace un bloque post-LN antes de entregar su salida.",
        "las dos": "en una de las dos variantes, lo último que hace cada bloque es una LayerNorm.",
        "ninguna": "en una de las dos variantes nadie normaliza lo que pasa por los atajos, y cada bloque le suma "
                   "algo.",
    }
    return wrong(f"Todavía no: {hints[answer]}")


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


def _fmt_row(label, values, width=8):
    return f"{label:<16}" + "".join(f"{v:>{width}.2f}" for v in values)


def show_pre_post_ln_stats(post_ln_class, n_layers=12):
    """Imprime, bloque a bloque, la desviación típica de la salida y la norma del gradiente con pre-LN
    y con post-LN; solo si el bloque post-LN de quien aprende es correcto.

    Parámetros:
        post_ln_class: la clase del bloque post-LN de quien aprende (o None si aún no la ha escrito).
        n_layers: número de bloques apilados.
    """
    if not ready_for_experiment(evaluate_post_ln_block(post_ln_class), "tu bloque post-LN"):
        return
    stats = pre_post_ln_stats(post_ln_class, n_layers=n_layers)
    print(f"{'bloque':<16}" + "".join(f"{i:>8}" for i in range(1, n_layers + 1)))
    print("desviación típica de la salida")
    for label in stats:
        print(_fmt_row(f"  {label}", stats[label]["std"]))
    print("norma del gradiente de los parámetros del bloque")
    for label in stats:
        print(_fmt_row(f"  {label}", stats[label]["grad"]))
