# utils/weights.py
"""Los pesos de GPT-2 de Hugging Face: qué tensores trae un fichero, con qué forma, y cómo pasan a GPTModel.

Hugging Face guarda las proyecciones con su clase Conv1D, cuyo peso tiene forma (entrada, salida):
hay que trasponerlo para nn.Linear. Además junta consulta, clave y valor en una sola matriz c_attn,
que aquí se parte en W_query, W_key y W_value.
"""

import torch

from utils.checks import HF_CONFIG_NAMES, POSITIVE_INT_KEYS
from utils.config import GPT2_SIZES

# Claves que no son pesos: las máscaras causales que la clase GPT2Attention de transformers guardaba con
# los pesos. Están en los model.safetensors del Hub porque salieron de esa conversión a PyTorch.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def published_config(size):
    """Devuelve la configuración de GPTModel de los pesos publicados de un tamaño de GPT-2 ("124M", ...):
    la de utils/config.py con sesgo en consulta, clave y valor, como el GPT-2 original."""
    return {**GPT2_SIZES[size]["cfg"], "qkv_bias": True}


def gpt_config_from_hf(hf_config):
    """Devuelve la configuración de GPTModel equivalente a una de GPT-2 de Hugging Face.

    Parámetros:
        hf_config: un GPT2Config de transformers o el diccionario leído de su config.json.
    """
    values = hf_config if isinstance(hf_config, dict) else vars(hf_config)
    names = {key: HF_CONFIG_NAMES.get(key, key) for key in POSITIVE_INT_KEYS}  # nuestra clave -> la suya
    missing = [theirs for theirs in names.values() if theirs not in values]
    if missing:
        raise ValueError(
            f"La configuración no describe un GPT-2 (model_type={values.get('model_type')!r}; le falta "
            f"{missing}); pasa size= (por ejemplo size=\"124M\") o cfg= para decir qué modelo es."
        )
    cfg = {ours: values[theirs] for ours, theirs in names.items()}
    cfg["drop_rate"] = values.get(HF_CONFIG_NAMES["drop_rate"], 0.1)
    cfg["qkv_bias"] = True  # GPT-2 original lleva sesgo en consulta, clave y valor
    return cfg


def hf_config_from_gpt(cfg, tie_weights=True):
    """Devuelve el config.json de Hugging Face (como diccionario) de un GPT-2 con la configuración cfg.

    Es el inverso de gpt_config_from_hf, con lo que transformers necesita además para crear un
    GPT2LMHeadModel igual que GPTModel: la GELU con tanh ("gelu_new"), el épsilon de LayerNorm y si la
    capa de salida comparte la matriz de los embeddings.
    """
    hf = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}
    hf.update({HF_CONFIG_NAMES.get(key, key): cfg[key] for key in (*POSITIVE_INT_KEYS, "drop_rate")})
    hf.update({"n_ctx": cfg["context_length"], "embd_pdrop": cfg["drop_rate"], "attn_pdrop": cfg["drop_rate"],
               "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": tie_weights})
    end_of_text = 50256 if cfg["vocab_size"] > 50256 else None  # <|endoftext|>, si el vocabulario es el de GPT-2
    hf.update({"bos_token_id": end_of_text, "eos_token_id": end_of_text})
    return hf


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
        cfg: configuración de GPTModel (como las de published_config).

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
    for size in GPT2_SIZES:
        if {n: s for n, s in found.items() if n != "lm_head.weight"} == expected_hf_shapes(published_config(size)):
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


def gpt_to_hf_state_dict(state_dict, cfg):
    """Traduce el state_dict de un GPTModel a los nombres y formas de GPT-2 en Hugging Face: el inverso de
    hf_to_gpt_state_dict.

    Las matrices de las capas lineales se trasponen a la forma (entrada, salida) de Conv1D y W_query, W_key y
    W_value se juntan en c_attn. Si cfg no lleva sesgo en consulta, clave y valor, c_attn.bias son ceros
    (sumar cero no cambia nada). lm_head.weight solo se escribe si out_head no es la matriz de tok_emb.

    Parámetros:
        state_dict: el de un GPTModel con la configuración cfg.
        cfg: su configuración.

    Devuelve:
        diccionario {nombre de Hugging Face, sin "transformer.": tensor contiguo}, como model.safetensors.
    """
    sd = state_dict
    out = {"wte.weight": sd["tok_emb.weight"], "wpe.weight": sd["pos_emb.weight"]}
    for i in range(cfg["n_layers"]):
        h, b = f"h.{i}.", f"trf_blocks.{i}."
        qkv = ("query", "key", "value")
        if cfg["qkv_bias"]:
            qkv_b = torch.cat([sd[b + f"att.W_{p}.bias"] for p in qkv])
        else:
            qkv_b = sd[b + "att.W_query.weight"].new_zeros(3 * cfg["emb_dim"])
        out.update({
            h + "ln_1.weight": sd[b + "norm1.scale"], h + "ln_1.bias": sd[b + "norm1.shift"],
            h + "attn.c_attn.weight": torch.cat([sd[b + f"att.W_{p}.weight"].T for p in qkv], dim=-1),
            h + "attn.c_attn.bias": qkv_b,
            h + "attn.c_proj.weight": sd[b + "att.out_proj.weight"].T,
            h + "attn.c_proj.bias": sd[b + "att.out_proj.bias"],
            h + "ln_2.weight": sd[b + "norm2.scale"], h + "ln_2.bias": sd[b + "norm2.shift"],
            h + "mlp.c_fc.weight": sd[b + "ff.layers.0.weight"].T, h + "mlp.c_fc.bias": sd[b + "ff.layers.0.bias"],
            h + "mlp.c_proj.weight": sd[b + "ff.layers.2.weight"].T, h + "mlp.c_proj.bias": sd[b + "ff.layers.2.bias"],
        })
    out["ln_f.weight"], out["ln_f.bias"] = sd["final_norm.scale"], sd["final_norm.shift"]
    if not torch.equal(sd["out_head.weight"], sd["tok_emb.weight"]):
        out["lm_head.weight"] = sd["out_head.weight"]  # sin pesos compartidos, la capa de salida va aparte
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
