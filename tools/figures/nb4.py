"""Figuras del notebook 4: las conexiones de atajo dentro del bloque transformer."""

from tools.figures.nb2 import draw_transformer_block


def atajos_en_bloque():
    """Bloque transformer con sus dos conexiones de atajo (y las sumas) resaltadas."""
    return draw_transformer_block({"atajo"})


FIGURES = {
    "4_atajos_en_bloque.png": atajos_en_bloque,
}
