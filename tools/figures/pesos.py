"""Figuras del extra de pesos preentrenados: de los nombres de Hugging Face a los de GPTModel."""

from tools.figures import COLORS, arrow, box, new_figure, num

_WTE = f"({num(50257)}, 768)"  # forma de la tabla de embeddings de tokens

# (nombre en Hugging Face, forma, nuestro nombre, forma, tipo de componente, transformación)
FILAS_MAPEO = [
    ("wte.weight", _WTE, "tok_emb.weight", _WTE, "embedding", "igual"),
    ("wpe.weight", "(1024, 768)", "pos_emb.weight", "(1024, 768)", "embedding", "igual"),
    ("h.i.ln_1.weight / .bias", "(768,)", "trf_blocks[i].norm1.scale / .shift", "(768,)", "norma", "igual"),
    ("h.i.attn.c_attn.weight", "(768, 2304)", "att.W_query / W_key / W_value", "3 × (768, 768)", "atencion",
     "se parte en 3\ny se traspone"),
    ("h.i.attn.c_proj.weight", "(768, 768)", "att.out_proj.weight", "(768, 768)", "atencion", "se traspone"),
    ("h.i.ln_2.weight / .bias", "(768,)", "trf_blocks[i].norm2.scale / .shift", "(768,)", "norma", "igual"),
    ("h.i.mlp.c_fc.weight", "(768, 3072)", "ff.layers[0].weight", "(3072, 768)", "feedforward", "se traspone"),
    ("h.i.mlp.c_proj.weight", "(3072, 768)", "ff.layers[2].weight", "(768, 3072)", "feedforward", "se traspone"),
    ("ln_f.weight / .bias", "(768,)", "final_norm.scale / .shift", "(768,)", "norma", "igual"),
    ("wte.weight (compartida)", _WTE, "out_head.weight", _WTE, "salida", "la misma matriz"),
]


def mapeo_nombres():
    """Cada tensor de model.safetensors (GPT-2 124M) y el parámetro de GPTModel que llena."""
    fig, ax = new_figure(12.0, 8.9)
    left_x, left_w = 0.1, 4.4
    right_x, right_w = 7.0, 4.9
    h, step, top = 0.55, 0.72, 7.5
    ax.text(left_x + left_w / 2, 8.35, "Hugging Face (model.safetensors)", ha="center", va="center",
            fontsize=13, fontweight="bold")
    ax.text(right_x + right_w / 2, 8.35, "Nuestro GPTModel", ha="center", va="center", fontsize=13,
            fontweight="bold")
    for k, (hf_name, hf_shape, our_name, our_shape, kind, how) in enumerate(FILAS_MAPEO):
        y = top - k * step
        box(ax, left_x, y, left_w, h, f"{hf_name}  {hf_shape}", kind=kind, fontsize=9.5)
        box(ax, right_x, y, right_w, h, f"{our_name}  {our_shape}", kind=kind, fontsize=9.5)
        highlight = how != "igual"
        color = COLORS["destacado"] if highlight else "#444444"
        arrow(ax, (left_x + left_w + 0.05, y + h / 2), (right_x - 0.05, y + h / 2), color=color,
              lw=2.0 if highlight else 1.2)
        ax.text((left_x + left_w + right_x) / 2, y + h / 2 + 0.08, how, ha="center", va="bottom",
                fontsize=9, color=color, fontweight="bold" if highlight else "normal", linespacing=0.95)
    ax.text(6.0, 0.1, "h.i = bloque i (de 0 a 11 en el de 124M). Los sesgos (.bias) siguen el mismo "
            "camino que sus pesos, sin trasponer.\nLas máscaras causales h.i.attn.bias, que añadió la "
            "conversión a PyTorch de Hugging Face, no son pesos: se ignoran.", ha="center", va="bottom",
            fontsize=10, color="#555555", style="italic")
    return fig


FIGURES = {"pesos_mapeo.png": mapeo_nombres}
