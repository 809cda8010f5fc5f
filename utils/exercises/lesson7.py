"""Preguntas «¿Lo has entendido?» del notebook 7: la forma de los logits de un lote recortado, qué cuenta
parameters() si se copian los valores de una matriz en otra y lo que ahorra compartir tok_emb y out_head
en GPT-2 medium."""

import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M
from utils.exercises.common import correct, reads_answer, to_count, to_shape, wrong_with_hint
from utils.gpt import GPTModel

BATCH_SIZE, NUM_TOKENS = 2, 4  # el lote del notebook: "Every effort moves you" y "Every day holds a"
SLICE = 2  # la pregunta 1 pasa batch[:, :2]


def _meta_model(cfg=GPT_CONFIG_124M):
    """Crea GPTModel(cfg) en el dispositivo meta: tiene formas y parámetros, pero no ocupa memoria."""
    with torch.device("meta"):
        return GPTModel(cfg)


def sliced_batch_shape(cfg=GPT_CONFIG_124M):
    """Mide la forma de los logits de model(batch[:, :2]) con un modelo en el dispositivo meta."""
    batch = torch.zeros(BATCH_SIZE, NUM_TOKENS, dtype=torch.long, device="meta")
    return tuple(_meta_model(cfg)(batch[:, :SLICE]).shape)


@reads_answer(to_shape, "Escribe la forma como una tupla de enteros, por ejemplo (a, b, c): {error}.")
def evaluate_sliced_batch_shape(answer, cfg=GPT_CONFIG_124M):
    """Comprueba la forma de model(batch[:, :2]) para el lote (2, 4) del notebook.

    Parámetros:
        answer: la forma, como tupla, lista, torch.Size o texto.
        cfg: la configuración del modelo (la de 124M).

    Devuelve:
        un Verdict.
    """
    if answer == sliced_batch_shape(cfg):
        return correct("¡Correcto! Un vector de logits por cada token que entra, en cada texto del lote; el "
                       "modelo acepta cualquier número de tokens hasta context_length.")
    b, t, v, d = BATCH_SIZE, NUM_TOKENS, cfg["vocab_size"], cfg["emb_dim"]
    hints = {
        (b, t, v): "esa es la forma con el lote entero; [:, :2] deja los dos textos, pero recorta la segunda "
                   "dimensión, la de los tokens.",
        (b, SLICE, d): "esa es la forma antes de out_head; la capa de salida lleva cada vector a otro tamaño.",
        (b, v): "el modelo da logits en todas las posiciones, no solo en la última.",
        (b, SLICE): "el modelo no devuelve ids: devuelve un vector de logits por token.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Mira qué dimensión recorta [:, :2] y qué forma da forward a "
                                          "un lote (batch, num_tokens).")


def copied_weights_count(cfg=GPT_CONFIG_124M):
    """Cuenta parameters() después de copiar los valores de tok_emb.weight en out_head.weight (en meta)."""
    model = _meta_model(cfg)
    model.out_head.weight.data.copy_(model.tok_emb.weight.data)
    return sum(p.numel() for p in model.parameters())


@reads_answer(to_count, "Escribe un número entero de parámetros: {error}.")
def evaluate_copied_weights_count(answer, cfg=GPT_CONFIG_124M):
    """Comprueba cuántos parámetros cuenta el modelo tras copiar con copy_ los valores de tok_emb en out_head.

    Parámetros:
        answer: un número entero de parámetros.
        cfg: la configuración del modelo (la de 124M).

    Devuelve:
        un Verdict.
    """
    expected = copied_weights_count(cfg)
    if answer == expected:
        return correct("¡Correcto! copy_ copia los números, pero las dos capas siguen teniendo cada una su Parameter: "
                       "para compartir hay que asignar el mismo objeto, como hicimos con tied.")
    v, d = cfg["vocab_size"], cfg["emb_dim"]
    with torch.device("meta"):
        tied_model = GPTModel(cfg)
    tied_model.out_head.weight = tied_model.tok_emb.weight
    tied = sum(p.numel() for p in tied_model.parameters())
    hints = {
        tied: "copy_ cambia los valores de out_head.weight, pero no lo convierte en el mismo objeto que "
              "tok_emb.weight; parameters() cuenta cada Parameter distinto una vez.",
        v * d: "ese es el tamaño de una sola matriz; la celda suma todos los parámetros del modelo.",
        expected + v * d: "copiar no añade una matriz nueva: escribe en la que ya tenía out_head.",
    }
    return wrong_with_hint(answer, hints, "Todavía no. Piensa si, tras copy_, out_head.weight y tok_emb.weight son "
                                          "el mismo objeto o dos objetos con los mismos números.")


def tying_counts(cfg=GPT_CONFIG_355M):
    """Cuenta de verdad (en el dispositivo meta) los parámetros de GPTModel con las matrices separadas y
    compartiendo tok_emb y out_head; devuelve (separadas, compartidas)."""
    model = _meta_model(cfg)
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
