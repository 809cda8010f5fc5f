"""Traducción de los pesos de GPT-2 de Hugging Face (transformers) a nuestro GPTModel.

Hugging Face guarda las proyecciones con su clase Conv1D, cuyo peso tiene forma (entrada, salida):
hay que trasponerlo para nn.Linear. Además junta consulta, clave y valor en una sola matriz c_attn,
que aquí se parte en W_query, W_key y W_value.
"""

import torch

# Claves de Hugging Face que no son pesos (máscaras causales guardadas por versiones antiguas).
_IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def gpt_config_from_hf(hf_config):
    """Devuelve la configuración de GPTModel equivalente a un GPT2Config de Hugging Face."""
    return {
        "vocab_size": hf_config.vocab_size,
        "context_length": hf_config.n_positions,
        "emb_dim": hf_config.n_embd,
        "n_heads": hf_config.n_head,
        "n_layers": hf_config.n_layer,
        "drop_rate": hf_config.resid_pdrop,
        "qkv_bias": True,  # GPT-2 original lleva sesgo en consulta, clave y valor
    }


def hf_to_gpt_state_dict(hf_state_dict, cfg):
    """Traduce un state_dict de GPT-2 de Hugging Face a los nombres y formas de GPTModel.

    Parámetros:
        hf_state_dict: diccionario nombre -> tensor, con o sin el prefijo "transformer.".
        cfg: configuración de GPTModel (con qkv_bias=True) que deben cumplir los pesos.

    Devuelve:
        diccionario con las claves de GPTModel (sin las máscaras, que no son pesos).
    """
    if not cfg.get("qkv_bias", False):
        raise ValueError(
            "Los pesos de GPT-2 traen sesgo en consulta, clave y valor: "
            "crea el modelo con {**cfg, 'qkv_bias': True}."
        )
    sd = {}
    for key, value in hf_state_dict.items():
        name = key[len("transformer."):] if key.startswith("transformer.") else key
        if name.endswith(_IGNORED_SUFFIXES):
            continue
        sd[name] = value
    used = set()

    def take(name, shape):
        if name not in sd:
            raise KeyError(
                f"Falta el tensor '{name}' en los pesos de Hugging Face; "
                "¿es un fichero de GPT-2 completo y del tamaño elegido?"
            )
        tensor = sd[name]
        if tuple(tensor.shape) != tuple(shape):
            raise ValueError(
                f"El tensor '{name}' tiene forma {tuple(tensor.shape)} y la configuración pide "
                f"{tuple(shape)}; comprueba que la configuración corresponde a estos pesos."
            )
        used.add(name)
        return tensor

    E, V, C = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"]
    out = {
        "tok_emb.weight": take("wte.weight", (V, E)),
        "pos_emb.weight": take("wpe.weight", (C, E)),
    }
    for i in range(cfg["n_layers"]):
        h, b = f"h.{i}.", f"trf_blocks.{i}."
        q_w, k_w, v_w = take(h + "attn.c_attn.weight", (E, 3 * E)).split(E, dim=-1)
        q_b, k_b, v_b = take(h + "attn.c_attn.bias", (3 * E,)).split(E, dim=-1)
        out.update({
            b + "att.W_query.weight": q_w.T, b + "att.W_query.bias": q_b,
            b + "att.W_key.weight": k_w.T, b + "att.W_key.bias": k_b,
            b + "att.W_value.weight": v_w.T, b + "att.W_value.bias": v_b,
            b + "att.out_proj.weight": take(h + "attn.c_proj.weight", (E, E)).T,
            b + "att.out_proj.bias": take(h + "attn.c_proj.bias", (E,)),
            b + "ff.layers.0.weight": take(h + "mlp.c_fc.weight", (E, 4 * E)).T,
            b + "ff.layers.0.bias": take(h + "mlp.c_fc.bias", (4 * E,)),
            b + "ff.layers.2.weight": take(h + "mlp.c_proj.weight", (4 * E, E)).T,
            b + "ff.layers.2.bias": take(h + "mlp.c_proj.bias", (E,)),
            b + "norm1.scale": take(h + "ln_1.weight", (E,)),
            b + "norm1.shift": take(h + "ln_1.bias", (E,)),
            b + "norm2.scale": take(h + "ln_2.weight", (E,)),
            b + "norm2.shift": take(h + "ln_2.bias", (E,)),
        })
    out["final_norm.scale"] = take("ln_f.weight", (E,))
    out["final_norm.shift"] = take("ln_f.bias", (E,))
    # GPT-2 comparte la matriz de salida con la de embeddings; muchos ficheros no guardan lm_head.
    out["out_head.weight"] = take("lm_head.weight", (V, E)) if "lm_head.weight" in sd else out["tok_emb.weight"]

    extra = sorted(set(sd) - used - {"lm_head.weight"})
    if extra:
        raise ValueError(
            f"Los pesos traen {len(extra)} tensores que GPTModel no usa (p. ej. {extra[:3]}); "
            f"¿tiene el fichero más capas que n_layers={cfg['n_layers']}?"
        )
    return {name: tensor.detach().clone().contiguous() for name, tensor in out.items()}


def load_hf_weights(model, hf_state_dict):
    """Copia en un GPTModel los pesos de un GPT-2 de Hugging Face y devuelve el modelo.

    Parámetros:
        model: GPTModel creado con la configuración de esos pesos y qkv_bias=True.
        hf_state_dict: state_dict de GPT2LMHeadModel o GPT2Model, o leído de model.safetensors.
    """
    converted = hf_to_gpt_state_dict(hf_state_dict, model.cfg)
    expected = {k for k in model.state_dict() if not k.endswith(".mask")}
    missing = sorted(expected - set(converted))
    if missing:
        raise KeyError(f"No se encontraron pesos para {missing[:3]} en el modelo.")
    with torch.no_grad():
        result = model.load_state_dict(converted, strict=False)
    assert all(k.endswith(".mask") for k in result.missing_keys), result.missing_keys
    return model
