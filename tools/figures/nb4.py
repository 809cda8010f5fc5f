"""Figuras del notebook 4: las conexiones de atajo dentro del bloque transformer."""

from tools.figures import transformer_block_figure


def atajos_en_bloque():
    """Bloque transformer con sus dos conexiones de atajo (y las sumas) resaltadas."""
    return transformer_block_figure({"atajo"})


FIGURES = {
    "4_atajos_en_bloque.png": atajos_en_bloque,
}
