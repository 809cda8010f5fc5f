"""Figuras del notebook 6: el bloque transformer."""

from tools.figures import transformer_block_figure


def bloque_transformer():
    """Devuelve la figura del bloque transformer de GPT-2 con el nombre de cada atributo de TransformerBlock."""
    return transformer_block_figure(names=True)


FIGURES = {
    "6_bloque_transformer.png": bloque_transformer,
}
