"""Exploradores interactivos (ipywidgets) de un modelo entrenado: el muestreo y la atención.

Cada explorador dibuja primero una figura fija con los valores por defecto (la que se ve en GitHub o
en cualquier visor sin Python detrás) y debajo muestra los controles, que vuelven a dibujar al moverlos.

Los pesos de atención no se guardan en MultiHeadAttention: attention_weights los recalcula con un hook
sobre la entrada de cada capa de atención (la salida de norm1), con las mismas matrices W_query y
W_key y la misma máscara, sin tocar utils/attention.py.
"""

import base64
import io

import matplotlib.pyplot as plt
import torch

from utils.checks import check_layer_head, check_prompt
from utils.sampling import apply_temperature, generate, top_k_filter, top_p_filter


def attention_weights(model, idx):
    """Devuelve los pesos de atención de cada capa para la entrada idx (una sola secuencia).

    Un forward pre-hook en cada block.att recibe su entrada x (la salida de norm1) y repite el
    cálculo de MultiHeadAttention.forward hasta softmax (sin dropout: el modelo está en evaluación).

    Parámetros:
        model: un GPTModel.
        idx: tensor de ids (1, num_tokens).

    Devuelve:
        lista con un tensor (num_heads, num_tokens, num_tokens) por capa; la fila i dice cuánto mira
        el token i a cada token anterior (suma 1).
    """
    weights, handles = [], []

    def hook(att, inputs):
        (x,) = inputs
        b, n, _ = x.shape
        queries = att.W_query(x).view(b, n, att.num_heads, att.head_dim).transpose(1, 2)
        keys = att.W_key(x).view(b, n, att.num_heads, att.head_dim).transpose(1, 2)
        scores = queries @ keys.transpose(2, 3)  # (b, num_heads, n, n)
        scores = scores.masked_fill(att.mask.bool()[:n, :n], -torch.inf)
        weights.append(torch.softmax(scores / att.head_dim**0.5, dim=-1)[0])

    for block in model.trf_blocks:
        handles.append(block.att.register_forward_pre_hook(hook))
    try:
        with torch.no_grad():
            model(idx)
    finally:
        for h in handles:
            h.remove()  # el modelo queda como estaba
    return weights


def token_labels(tokenizer, ids):
    """Devuelve el texto de cada token, con los espacios visibles (·) para las etiquetas de los ejes.

    Un token de un byte de control (p. ej. el byte 7) se escribe como \\x07: no tiene dibujo en la fuente.
    """
    labels = [tokenizer.decode([i]).replace(" ", "·").replace("\n", "↵") for i in ids]
    return ["".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in label) for label in labels]


def next_token_distribution(model, tokenizer, prompt, temperature=1.0, top_k=None, top_p=None):
    """Devuelve las probabilidades del token siguiente a prompt tras temperatura, top-k y top-p.

    Devuelve:
        tensor (vocab_size,) que suma 1.
    """
    check_prompt(prompt)
    idx = torch.tensor([tokenizer.encode(prompt)[-model.cfg["context_length"]:]])
    with torch.no_grad():
        logits = model(idx)[0, -1]
    logits = apply_temperature(logits, temperature)
    if top_k:
        logits = top_k_filter(logits, top_k)
    if top_p is not None and top_p < 1:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)


def plot_sampling(model, tokenizer, prompt, temperature=1.0, top_k=None, top_p=None, max_new_tokens=30, seed=123,
                  num_bars=12):
    """Dibuja las probabilidades de los num_bars tokens siguientes más probables y genera una continuación.

    La continuación se muestrea con generate y una semilla fija: los mismos controles dan el mismo texto.

    Devuelve:
        (figura de matplotlib, texto generado con el prompt incluido).
    """
    probas = next_token_distribution(model, tokenizer, prompt, temperature, top_k, top_p)
    top = torch.topk(probas, num_bars)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    labels = token_labels(tokenizer, top.indices.tolist())
    ax.barh(range(num_bars)[::-1], top.values.numpy(), color="tab:blue")
    ax.set_yticks(range(num_bars)[::-1], labels)
    ax.set_xlabel("probabilidad del token siguiente")
    ax.set_title(f"temperatura {temperature:.1f}, top-k {top_k or 'sin filtro'}, top-p {top_p if top_p else 1:.2f}"
                 .replace(".", ","))
    fig.tight_layout()
    idx = torch.tensor([tokenizer.encode(prompt)])
    out = generate(model, idx, max_new_tokens, model.cfg["context_length"], temperature=temperature,
                   top_k=top_k or None, top_p=top_p if top_p and top_p < 1 else None,
                   generator=torch.Generator().manual_seed(seed))
    return fig, tokenizer.decode(out[0].tolist())


def plot_attention(model, tokenizer, prompt, layer=0, head=0):
    """Dibuja el mapa de calor de los pesos de atención de una cabeza sobre los tokens de prompt.

    Devuelve:
        (figura de matplotlib, "").
    """
    check_prompt(prompt)
    check_layer_head(model.cfg, layer, head)
    ids = tokenizer.encode(prompt)[-model.cfg["context_length"]:]
    weights = attention_weights(model, torch.tensor([ids]))[layer][head]
    labels = token_labels(tokenizer, ids)
    size = min(8, 2 + 0.35 * len(ids))
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(weights.numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(ids)), labels, rotation=90)
    ax.set_yticks(range(len(ids)), labels)
    ax.set_xlabel("token al que se mira (clave)")
    ax.set_ylabel("token que mira (consulta)")
    ax.set_title(f"capa {layer}, cabeza {head}")
    fig.colorbar(image, ax=ax, shrink=0.8, label="peso de atención")
    fig.tight_layout()
    return fig, ""


def _outputs(fig, text):
    """Convierte una figura y un texto en las salidas de un área de salida (PNG y texto), y cierra la figura."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    png = {"output_type": "display_data", "metadata": {},
           "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": "<figura>"}}
    return (png, {"output_type": "stream", "name": "stdout", "text": text + "\n"}) if text else (png,)


def _explorer(css_class, controls, draw):
    """Junta los controles y un área de salida que se redibuja al cambiar cualquiera de ellos.

    Las salidas se asignan directamente a Output.outputs (una imagen PNG y un texto) en vez de capturarlas
    con «with out:»: así no dependen de qué celda se está ejecutando y funcionan igual en JupyterLab,
    Colab y al ejecutar el notebook sin navegador.
    """
    import ipywidgets as widgets

    out = widgets.Output()

    def redraw(_=None):
        values = {name: c.value for name, c in controls.items()}
        if not values["prompt"]:
            out.outputs = ({"output_type": "stream", "name": "stdout", "text": "Escribe un texto de partida.\n"},)
            return
        out.outputs = _outputs(*draw(**values))

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([*controls.values(), out])
    box.add_class(css_class)
    return box


def _show_static(fig, text):
    """Muestra en la celda una figura fija (y su texto): lo que se ve sin los controles."""
    plt.show()
    if text:
        print(text)


def sampling_explorer(model, tokenizer, prompt="El modelo", max_new_tokens=30):
    """Muestra la figura fija con los valores por defecto y devuelve el explorador de muestreo.

    Controles: texto de partida, temperatura, top-k (0: sin filtro) y top-p (1: sin filtro).
    """
    import ipywidgets as widgets

    model.eval()
    _show_static(*plot_sampling(model, tokenizer, prompt, 1.0, None, None, max_new_tokens))  # la figura fija
    style = {"description_width": "110px"}
    controls = {
        "prompt": widgets.Text(value=prompt, description="texto", style=style, continuous_update=False),
        "temperature": widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1, description="temperatura",
                                           style=style, continuous_update=False),
        "top_k": widgets.IntSlider(value=0, min=0, max=50, description="top-k (0: todos)", style=style,
                                   continuous_update=False),
        "top_p": widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p", style=style,
                                     continuous_update=False),
    }

    def draw(prompt, temperature, top_k, top_p):
        return plot_sampling(model, tokenizer, prompt, temperature, top_k or None, top_p, max_new_tokens)

    return _explorer("explorador-muestreo", controls, draw)


def attention_explorer(model, tokenizer, prompt="El modelo aprende a predecir el siguiente token."):
    """Muestra la figura fija (capa 0, cabeza 0) y devuelve el explorador de atención (capa, cabeza, texto)."""
    import ipywidgets as widgets

    model.eval()
    _show_static(*plot_attention(model, tokenizer, prompt, 0, 0))
    style = {"description_width": "110px"}
    controls = {
        "prompt": widgets.Text(value=prompt, description="texto", style=style, continuous_update=False),
        "layer": widgets.IntSlider(value=0, min=0, max=model.cfg["n_layers"] - 1, description="capa", style=style,
                                   continuous_update=False),
        "head": widgets.IntSlider(value=0, min=0, max=model.cfg["n_heads"] - 1, description="cabeza", style=style,
                                  continuous_update=False),
    }

    def draw(prompt, layer, head):
        return plot_attention(model, tokenizer, prompt, layer, head)

    return _explorer("explorador-atencion", controls, draw)
