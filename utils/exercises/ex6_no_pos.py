"""Ejercicio 6 del notebook 9: un modelo sin embeddings de posición y qué le pasa al permutar la entrada."""

import copy

import torch
import torch.nn as nn

from utils.exercises.common import (
    CHECK_CFG,
    as_bool,
    build_answer,
    build_seeded,
    correct,
    forward_answer,
    reads_answer,
    ready_for_experiment,
    wrong,
)
from utils.gpt import GPTModel


def evaluate_no_pos_model(model_class):
    """Comprueba un modelo igual que GPTModel pero sin información de posición.

    Vale tanto no sumar pos_emb en forward como dejar pos_emb a cero: se compara con un GPTModel que
    tiene los mismos pesos que el modelo de quien aprende y pos_emb a cero.

    Parámetros:
        model_class: la clase que recibe cfg; puede no tener pos_emb o ignorarlo.

    Devuelve:
        un Verdict.
    """
    model, problem = build_answer(model_class, CHECK_CFG, "del modelo", "modelo")
    if problem:
        return problem
    if not isinstance(model, nn.Module):
        return wrong("Tu clase debe crear un nn.Module (hereda de GPTModel).")
    reference = build_seeded(GPTModel, CHECK_CFG).eval()
    result = reference.load_state_dict(model.state_dict(), strict=False)
    wrong_names = [k for k in result.missing_keys if not k.startswith("pos_emb")] + list(result.unexpected_keys)
    if wrong_names:
        return wrong("Los parámetros de tu modelo no se llaman como los de GPTModel; lo más fácil es heredar de "
                     "GPTModel y reescribir solo forward.")
    torch.manual_seed(0)
    idx = torch.randint(0, CHECK_CFG["vocab_size"], (2, 7))
    out, problem = forward_answer(model, idx, "modelo")
    if problem:
        return problem
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



@reads_answer(as_bool, "Responde con True o False (o «sí» / «no»); no entiendo {error}.", answers=2)
def evaluate_permutation_answers(with_mask, without_mask):
    """Comprueba las predicciones sobre permutar la entrada de un modelo sin embeddings de posición.

    Parámetros:
        with_mask: con la máscara causal, ¿permutar la entrada solo permuta la salida? (True/False o "sí"/"no")
        without_mask: la misma pregunta si además se quita la máscara causal.

    Devuelve:
        un Verdict.
    """
    if with_mask and without_mask:
        return wrong("Todavía no: una de las dos no es cierta. Piensa qué tokens ve la última posición y "
                     "cuáles ve la primera cuando hay máscara causal.")
    if not with_mask and not without_mask:
        return wrong("Todavía no: sin posiciones y sin máscara, la atención trata la entrada como un conjunto; "
                     "¿qué queda entonces que dependa del orden?")
    if with_mask and not without_mask:
        return wrong("Todavía no: está al revés. ¿Cuál de los dos modelos sigue dependiendo del orden de los "
                     "tokens aunque no tenga pos_emb?")
    return correct("¡Correcto! Compruébalo en la celda siguiente.")



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



def show_permutation_experiment(model_class, num_tokens=8):
    """Imprime cuánto se aleja model(idx permutado) de model(idx) permutado, para GPTModel y para el modelo
    sin posición de quien aprende, con y sin máscara causal; solo si ese modelo es correcto.

    Parámetros:
        model_class: la clase del modelo sin embeddings de posición (o None si aún no la ha escrito).
        num_tokens: longitud de la secuencia de prueba (como mucho CHECK_CFG["context_length"]).
    """
    if not ready_for_experiment(evaluate_no_pos_model(model_class), "tu modelo sin posición"):
        return
    normal = build_seeded(GPTModel, CHECK_CFG)
    no_pos = build_seeded(model_class, CHECK_CFG)
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
