"""Pruebas de la generación voraz y de la conversión texto <-> ids."""

import torch

from utils.generation import generate_text_simple, text_to_token_ids, token_ids_to_text
from utils.gpt import GPTModel


def test_generacion_elige_el_argmax(tiny_cfg):
    """Cada token nuevo es el argmax de los logits de la última posición."""
    torch.manual_seed(0)
    model = GPTModel(tiny_cfg).eval()
    idx = torch.tensor([[5, 7, 11]])
    out = generate_text_simple(model, idx, max_new_tokens=4, context_size=16)
    assert out.shape == (1, 7)
    assert torch.equal(out[:, :3], idx)
    for step in range(3, 7):
        with torch.no_grad():
            expected = model(out[:, :step])[:, -1].argmax(dim=-1)
        assert out[0, step] == expected[0]


def test_generacion_recorta_al_contexto(tiny_cfg):
    """Pasado context_size, el modelo solo ve los últimos context_size tokens."""
    torch.manual_seed(0)
    model = GPTModel(tiny_cfg).eval()
    idx = torch.randint(0, 100, (2, 14))
    out = generate_text_simple(model, idx, max_new_tokens=10, context_size=16)  # llega a 24 > 16
    assert out.shape == (2, 24)
    with torch.no_grad():
        last = model(out[:, -17:-1])[:, -1].argmax(dim=-1)
    assert torch.equal(out[:, -1], last)


def test_generacion_cero_tokens(tiny_cfg):
    """max_new_tokens=0 devuelve la entrada tal cual."""
    idx = torch.tensor([[1, 2]])
    assert torch.equal(generate_text_simple(GPTModel(tiny_cfg), idx, 0, 16), idx)


def test_texto_ida_y_vuelta(tokenizer):
    """text_to_token_ids da forma (1, n) y token_ids_to_text recupera el texto."""
    ids = text_to_token_ids("Every effort moves you", tokenizer)
    assert ids.tolist() == [[6109, 3626, 6100, 345]]
    assert token_ids_to_text(ids, tokenizer) == "Every effort moves you"


def test_texto_admite_el_token_de_fin_de_texto(tokenizer):
    """<|endoftext|> se codifica como el id especial 50256 (y no como siete trozos de texto)."""
    ids = text_to_token_ids("Hola<|endoftext|>", tokenizer)
    assert ids[0, -1].item() == 50256
    assert token_ids_to_text(ids, tokenizer) == "Hola<|endoftext|>"


def test_ids_sin_dimension_de_lote_tambien_se_convierten(tokenizer):
    """token_ids_to_text acepta también un vector (num_tokens,), como el que da out[0]."""
    assert token_ids_to_text(torch.tensor([6109, 3626]), tokenizer) == "Every effort"


def test_un_solo_id_sin_lote_tambien_se_convierte(tokenizer):
    """Un vector de un solo id (1,) da su texto, no un número suelto que decode no entiende."""
    assert token_ids_to_text(torch.tensor([6109]), tokenizer) == "Every"
