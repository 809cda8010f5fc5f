# utils/weights.py
"""Los pesos de GPT-2 de Hugging Face: qué tensores trae un fichero, con qué forma, y cómo pasan a GPTModel.

Hugging Face guarda las proyecciones con su clase Conv1D, cuyo peso tiene forma (entrada, salida):
hay que trasponerlo para nn.Linear. Además junta consulta, clave y valor en una sola matriz c_attn,
que aquí se parte en W_query, W_key y W_value.
"""

import torch

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M

# Los cuatro tamaños publicados: las configuraciones del libro con sesgo en consulta, clave y valor.
GPT2_PUBLISHED_CONFIGS = {
    "124M": {**GPT_CONFIG_124M, "qkv_bias": True},
    "355M": {**GPT_CONFIG_355M, "qkv_bias": True},
    "774M": {**GPT_CONFIG_774M, "qkv_bias": True},
    "1558M": {**GPT_CONFIG_1558M, "qkv_bias": True},
}

# Claves que no son pesos: las máscaras causales que la clase GPT2Attention de transformers guardaba con
# los pesos. Están en los model.safetensors del Hub porque salieron de esa conversión a PyTorch.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")

# Claves del config.json de Hugging Face que necesita GPTModel, y su nombre en nuestra configuración.
HF_CONFIG_KEYS = {"vocab_size": "vocab_size", "n_positions": "context_length", "n_embd": "emb_dim",
                  "n_head": "n_heads", "n_layer": "n_layers"}


def gpt_config_from_hf(hf_config):
    """Devuelve la configuración de GPTModel equivalente a una de GPT-2 de Hugging Face.

    Parámetros:
        hf_config: un GPT2Config de transformers o el diccionario leído de su config.json.
    """
    values = hf_config if isinstance(hf_config, dict) else vars(hf_config)
    missing = [key for key in HF_CONFIG_KEYS if key not in values]
    if missing:
        raise ValueError(
            f"La configuración no describe un GPT-2 (model_type={values.get('model_type')!r}; le falta "
            f"{missing}); pasa size= (por ejemplo size=\"124M\") o cfg= para decir qué modelo es."
        )
    cfg = {ours: values[theirs] for theirs, ours in HF_CONFIG_KEYS.items()}
    cfg["drop_rate"] = values.get("resid_pdrop", 0.1)
    cfg["qkv_bias"] = True  # GPT-2 original lleva sesgo en consulta, clave y valor
    return cfg


def check_qkv_bias(cfg):
    """Comprueba que cfg tiene qkv_bias=True, como los pesos de GPT-2; si no, lanza ValueError en español."""
    if cfg.get("qkv_bias") is not True:
        raise ValueError(f"cfg tiene qkv_bias={cfg.get('qkv_bias')!r}, pero los pesos de GPT-2 traen sesgo en "
                         "consulta, clave y valor: usa {**cfg, 'qkv_bias': True}.")


def expected_hf_shapes(cfg):
    """Devuelve {nombre en Hugging Face: forma} de los tensores que debe traer un GPT-2 con esta cfg.

    Los nombres van sin el prefijo "transformer." y sin las máscaras causales (".attn.bias"), que no
    son pesos; "lm_head.weight" no está porque GPT-2 comparte esa matriz con "wte.weight".
    """
    E, V, C = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"]
    shapes = {"wte.weight": (V, E), "wpe.weight": (C, E), "ln_f.weight": (E,), "ln_f.bias": (E,)}
    for i in range(cfg["n_layers"]):
        shapes.update({
            f"h.{i}.ln_1.weight": (E,), f"h.{i}.ln_1.bias": (E,),
            f"h.{i}.attn.c_attn.weight": (E, 3 * E), f"h.{i}.attn.c_attn.bias": (3 * E,),
            f"h.{i}.attn.c_proj.weight": (E, E), f"h.{i}.attn.c_proj.bias": (E,),
            f"h.{i}.ln_2.weight": (E,), f"h.{i}.ln_2.bias": (E,),
            f"h.{i}.mlp.c_fc.weight": (E, 4 * E), f"h.{i}.mlp.c_fc.bias": (4 * E,),
            f"h.{i}.mlp.c_proj.weight": (4 * E, E), f"h.{i}.mlp.c_proj.bias": (E,),
        })
    return shapes


def _weight_names(names_to_values):
    """Quita el prefijo "transformer." y descarta las máscaras causales, que no son pesos."""
    found = {}
    for key, value in names_to_values.items():
        name = key.removeprefix("transformer.")
        if not name.endswith(IGNORED_SUFFIXES):
            found[name] = value
    return found


def check_hf_shapes(file_shapes, cfg):
    """Compara los nombres y formas de unos pesos con los que pide cfg y nombra cada diferencia.

    Parámetros:
        file_shapes: {nombre del tensor (con o sin "transformer."): forma}.
        cfg: configuración de GPTModel (como las de GPT2_PUBLISHED_CONFIGS).

    Devuelve:
        nada; lanza ValueError en español con los tensores que faltan, sobran o no cuadran, y el tamaño
        (size) o la configuración que corresponde a los pesos.
    """
    found = {name: tuple(shape) for name, shape in _weight_names(file_shapes).items()}
    expected = expected_hf_shapes(cfg)
    expected["lm_head.weight"] = (cfg["vocab_size"], cfg["emb_dim"])  # opcional: es la misma que wte.weight
    missing = [n for n in expected if n not in found and n != "lm_head.weight"]
    extra = [n for n in found if n not in expected]
    wrong = [f"'{n}' tiene forma {found[n]} y se esperaba {expected[n]}"
             for n in expected if n in found and found[n] != expected[n]]
    problems = []
    if missing:
        verb = "faltan" if len(missing) > 1 else "falta"
        problems.append(f"{verb} {_tensors(len(missing))}: {missing[:5]}")
    if extra:
        verb = "sobran" if len(extra) > 1 else "sobra"
        problems.append(f"{verb} {_tensors(len(extra))} que GPTModel no usa: {extra[:5]}")
    if wrong:
        verb = "no tienen" if len(wrong) > 1 else "no tiene"
        problems.append(f"{_tensors(len(wrong))} {verb} la forma esperada: " + "; ".join(wrong[:5]))
    if problems:
        raise ValueError(
            "Los pesos no corresponden a la configuración elegida "
            f"(emb_dim={cfg['emb_dim']}, n_layers={cfg['n_layers']}, vocab_size={cfg['vocab_size']}, "
            f"context_length={cfg['context_length']}): " + "; ".join(problems) + ". " + _size_hint(found)
        )


def _tensors(n):
    """Devuelve "1 tensor" o "n tensores"."""
    return "1 tensor" if n == 1 else f"{n} tensores"


def _size_hint(found):
    """Devuelve, en español, qué tamaño de GPT-2 (o qué configuración) corresponde a las formas encontradas."""
    for size, cfg in GPT2_PUBLISHED_CONFIGS.items():
        if {n: s for n, s in found.items() if n != "lm_head.weight"} == expected_hf_shapes(cfg):
            return f'Este fichero es el GPT-2 de {size}: usa size="{size}".'
    if len(found.get("wte.weight", ())) == 2 and len(found.get("wpe.weight", ())) == 2:
        (vocab_size, emb_dim), context_length = found["wte.weight"], found["wpe.weight"][0]
        n_layers = len({n.split(".")[1] for n in found if n.startswith("h.")})
        return (f"El fichero trae vocab_size={vocab_size}, context_length={context_length}, emb_dim={emb_dim} "
                f"y n_layers={n_layers}: pasa un cfg con esos valores, su n_heads y qkv_bias=True, o la carpeta "
                "con su config.json y sin size.")
    return "¿Es un fichero de GPT-2? Debe traer wte.weight, wpe.weight y los bloques h.0, h.1..."


def hf_to_gpt_state_dict(hf_state_dict, cfg):
    """Traduce un state_dict de GPT-2 de Hugging Face a los nombres y formas de GPTModel.

    Parámetros:
        hf_state_dict: diccionario nombre -> tensor, con o sin el prefijo "transformer.".
        cfg: configuración de GPTModel (con qkv_bias=True) que deben cumplir los pesos.

    Devuelve:
        diccionario con las claves de GPTModel (sin las máscaras, que no son pesos).
    """
    check_qkv_bias(cfg)
    sd = _weight_names(hf_state_dict)
    check_hf_shapes({name: tensor.shape for name, tensor in sd.items()}, cfg)
    E = cfg["emb_dim"]
    out = {"tok_emb.weight": sd["wte.weight"], "pos_emb.weight": sd["wpe.weight"]}
    for i in range(cfg["n_layers"]):
        h, b = f"h.{i}.", f"trf_blocks.{i}."
        q_w, k_w, v_w = sd[h + "attn.c_attn.weight"].split(E, dim=-1)  # Conv1D: (entrada, salida)
        q_b, k_b, v_b = sd[h + "attn.c_attn.bias"].split(E, dim=-1)
        out.update({
            b + "att.W_query.weight": q_w.T, b + "att.W_query.bias": q_b,
            b + "att.W_key.weight": k_w.T, b + "att.W_key.bias": k_b,
            b + "att.W_value.weight": v_w.T, b + "att.W_value.bias": v_b,
            b + "att.out_proj.weight": sd[h + "attn.c_proj.weight"].T,
            b + "att.out_proj.bias": sd[h + "attn.c_proj.bias"],
            b + "ff.layers.0.weight": sd[h + "mlp.c_fc.weight"].T,
            b + "ff.layers.0.bias": sd[h + "mlp.c_fc.bias"],
            b + "ff.layers.2.weight": sd[h + "mlp.c_proj.weight"].T,
            b + "ff.layers.2.bias": sd[h + "mlp.c_proj.bias"],
            b + "norm1.scale": sd[h + "ln_1.weight"], b + "norm1.shift": sd[h + "ln_1.bias"],
            b + "norm2.scale": sd[h + "ln_2.weight"], b + "norm2.shift": sd[h + "ln_2.bias"],
        })
    out["final_norm.scale"] = sd["ln_f.weight"]
    out["final_norm.shift"] = sd["ln_f.bias"]
    # GPT-2 comparte la matriz de salida con la de embeddings; muchos ficheros no guardan lm_head.
    out["out_head.weight"] = sd.get("lm_head.weight", sd["wte.weight"])
    return {name: tensor.detach().clone().contiguous() for name, tensor in out.items()}


def load_hf_weights(model, hf_state_dict):
    """Copia en un GPTModel los pesos de un GPT-2 de Hugging Face y devuelve el modelo.

    Parámetros:
        model: GPTModel creado con la configuración de esos pesos y qkv_bias=True.
        hf_state_dict: state_dict de GPT2LMHeadModel o GPT2Model, o leído de model.safetensors.
    """
    converted = hf_to_gpt_state_dict(hf_state_dict, model.cfg)
    with torch.no_grad():
        result = model.load_state_dict(converted, strict=False)
    assert all(k.endswith(".mask") for k in result.missing_keys), result.missing_keys  # las máscaras no se copian
    return model
