# utils/fast_gpt.py
"""GPT-2 rápido para inferencia: las mismas cuentas que GPTModel, con las piezas optimizadas de PyTorch.

Cambios respecto a GPTModel (los pesos son los mismos; gpt_to_fast_state_dict los traduce):
- consulta, clave y valor salen de una sola multiplicación (W_qkv) en vez de tres;
- la atención la calcula F.scaled_dot_product_attention, sin materializar la máscara;
- LayerNorm es la de PyTorch (F.layer_norm, un kernel) y la GELU se hace dentro de la multiplicación de fc;
- la capa de salida puede compartir la matriz de tok_emb (pesos compartidos, como GPT-2 original);
- al generar, la capa de salida solo se aplica a la última posición;
- al generar en CPU, las capas lineales multiplican con oneDNN (FastLinear), que lee las matrices casi
  al ancho de banda de la memoria, y no con MKL, que en muchas CPU va bastante más despacio;
- una caché KV con la memoria reservada de antemano.

El mismo modelo funciona en bfloat16 (copy.deepcopy(model).to(torch.bfloat16)) y con pesos int8
(utils.quant.quantize_int8).
"""

import functools

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.checks import check_config, check_generation_args, check_token_ids
from utils.kv_cache import KVCache, greedy_decode


class FastKVCache(KVCache):
    """Caché KV que reserva la memoria de una vez: añadir un token no copia los anteriores.

    Sigue las reglas de KVCache (update por bloque, len(cache) avanza con el último bloque); solo cambia
    dónde se guardan las claves y los valores.

    Parámetros:
        n_layers: número de bloques transformer del modelo.
        max_tokens: número máximo de posiciones que puede guardar (como mucho, context_length).

    Forma:
        claves y valores de cada bloque: (batch, num_heads, max_tokens, head_dim), llenos hasta len(cache).
    """

    def update(self, layer, keys, values):
        """Escribe las claves y valores nuevos del bloque layer y devuelve los de todas las posiciones."""
        b, num_heads, num_tokens, head_dim = keys.shape
        end = self.num_tokens + num_tokens
        stored = self.keys[layer]
        if stored is None or stored.shape[0] != b or stored.dtype != keys.dtype:  # se reserva todo una vez
            self.keys[layer] = keys.new_empty(b, num_heads, self.max_tokens, head_dim)
            self.values[layer] = values.new_empty(b, num_heads, self.max_tokens, head_dim)
        self.keys[layer][:, :, self.num_tokens:end] = keys
        self.values[layer][:, :, self.num_tokens:end] = values
        if layer == len(self.keys) - 1:  # el último bloque cierra la pasada
            self.num_tokens = end
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]

    def reset(self):
        """Vacía la caché (conserva la memoria reservada)."""
        self.num_tokens = 0


@functools.cache
def onednn_linear_works(dtype=torch.float32):
    """True si esta instalación de PyTorch, en esta CPU, tiene la capa lineal de oneDNN para dtype y da lo
    mismo que F.linear.

    Se comprueba una vez por tipo, con una multiplicación pequeña (sin números aleatorios: no mueve la semilla).
    bfloat16 necesita además reordenar la matriz, y oneDNN solo sabe hacerlo en CPU con ciertas instrucciones
    (AVX-512 o AVX-NE-CONVERT). Donde no funciona, FastLinear usa F.linear: mismo resultado, más despacio.
    """
    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
        return False
    x = torch.linspace(-1, 1, 16, dtype=dtype).reshape(2, 8)
    w = torch.linspace(-1, 1, 32, dtype=dtype).reshape(4, 8)
    b = torch.linspace(-1, 1, 4, dtype=dtype)
    try:
        packed = w if dtype == torch.float32 else torch.ops.mkldnn._reorder_linear_weight(w, 1)
        y = torch.ops.mkldnn._linear_pointwise(x, packed, b, "none", [], "")
    except (RuntimeError, NotImplementedError):  # sin oneDNN para este tipo en esta CPU
        return False
    tol = 1e-5 if dtype == torch.float32 else 5e-2
    return y.shape == (2, 4) and torch.allclose(y.float(), F.linear(x, w, b).float(), atol=tol, rtol=tol)


class FastLinear(nn.Linear):
    """nn.Linear (mismos parámetros, mismos nombres) que al generar en CPU multiplica con oneDNN.

    Al generar un solo texto, cada capa lineal multiplica un vector por su matriz y el tiempo se va en
    leer la matriz de memoria. La multiplicación matriz × vector de MKL, la que usa F.linear en float32,
    no reparte bien ese trabajo entre los núcleos; la de oneDNN (la biblioteca de Intel que PyTorch trae
    dentro y que usa torch.compile en CPU) lee la matriz casi al ancho de banda de la memoria.

    - float32: oneDNN usa la matriz tal cual (guardada por filas, como en nn.Linear).
    - bfloat16: oneDNN necesita la matriz reordenada a su formato por bloques; se prepara la primera vez
      y se guarda aparte (ocupa lo mismo que la matriz), y se vuelve a preparar si la matriz cambia.
    - en cualquier otro caso (GPU, gradientes, otros tipos, dentro de torch.compile, o un PyTorch o una CPU
      donde oneDNN no hace ese tipo: onednn_linear_works lo prueba): F.linear, mismo resultado.

    forward(x, gelu=True) aplica además GELU (aproximación con tanh) a la salida; con oneDNN, dentro de
    la misma multiplicación, sin otra pasada por la memoria.
    """

    def forward(self, x, gelu=False):
        w = self.weight
        if (torch.compiler.is_compiling()  # torch.compile elige sus propios kernels a partir de F.linear
                or x.device.type != "cpu" or x.dtype != w.dtype or w.dtype not in (torch.float32, torch.bfloat16)
                or not w.is_contiguous() or (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
                or not onednn_linear_works(w.dtype)):
            y = F.linear(x, w, self.bias)
            return F.gelu(y, approximate="tanh") if gelu else y
        if w.dtype == torch.bfloat16:
            w = self._packed_weight()
        activation, algorithm = ("gelu", "tanh") if gelu else ("none", "")
        return torch.ops.mkldnn._linear_pointwise(x, w, self.bias, activation, [], algorithm)

    def _packed_weight(self):
        """La matriz en el formato de oneDNN, preparada la primera vez y otra vez si la matriz cambia.

        Un cambio se nota por la dirección de la matriz o por su contador de versiones, que avanza con
        cada operación in situ (load_state_dict, copy_, mul_ dentro de torch.no_grad()).
        """
        key = (self.weight.data_ptr(), self.weight._version, self.weight.dtype)
        if getattr(self, "_packed", (None,))[0] != key:
            with torch.no_grad():
                self._packed = (key, torch.ops.mkldnn._reorder_linear_weight(self.weight.detach(), 1))
        return self._packed[1]

    def __getstate__(self):
        # copy.deepcopy y pickle no saben copiar la matriz en formato de oneDNN: se deja fuera y se rehace
        state = self.__dict__.copy()
        state.pop("_packed", None)
        return state


class FastMultiHeadAttention(nn.Module):
    """Atención multicabeza causal con una sola proyección W_qkv y F.scaled_dot_product_attention.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, cfg):
        super().__init__()
        self.num_heads = cfg["n_heads"]
        self.head_dim = cfg["emb_dim"] // cfg["n_heads"]
        self.dropout = cfg["drop_rate"]
        # W_query, W_key y W_value apiladas: una multiplicación grande es más rápida que tres pequeñas
        self.W_qkv = FastLinear(cfg["emb_dim"], 3 * cfg["emb_dim"], bias=cfg["qkv_bias"])
        self.out_proj = FastLinear(cfg["emb_dim"], cfg["emb_dim"])

    def forward(self, x, cache=None, layer=0):
        b, num_tokens, emb_dim = x.shape
        # (b, num_tokens, 3 * emb_dim) -> 3 x (b, num_heads, num_tokens, head_dim)
        qkv = self.W_qkv(x).view(b, num_tokens, 3, self.num_heads, self.head_dim)
        queries, keys, values = qkv.permute(2, 0, 3, 1, 4)
        if cache is not None:
            keys, values = cache.update(layer, keys, values)  # (b, num_heads, past + num_tokens, head_dim)
        past = keys.shape[2] - num_tokens

        dropout_p = self.dropout if self.training else 0.0
        if past == 0:
            # sin tokens anteriores: la máscara causal de siempre, sin crearla en memoria
            context = F.scaled_dot_product_attention(queries, keys, values, dropout_p=dropout_p, is_causal=True)
        else:
            # con caché, la consulta i está en la posición past + i y ve las claves 0 .. past + i;
            # un solo token nuevo lo ve todo y no necesita máscara
            mask = None
            if num_tokens > 1:
                mask = torch.ones(num_tokens, past + num_tokens, dtype=torch.bool, device=x.device).tril(past)
            context = F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask, dropout_p=dropout_p)
        context = context.transpose(1, 2).reshape(b, num_tokens, emb_dim)  # junta las cabezas
        return self.out_proj(context)


class FastTransformerBlock(nn.Module):
    """Bloque transformer de GPT-2 con las funciones de PyTorch que hacen cada paso en un solo kernel.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, cfg):
        super().__init__()
        emb_dim = cfg["emb_dim"]
        self.norm1 = nn.LayerNorm(emb_dim, eps=1e-5)  # su forward es F.layer_norm
        self.att = FastMultiHeadAttention(cfg)
        self.norm2 = nn.LayerNorm(emb_dim, eps=1e-5)
        self.fc = FastLinear(emb_dim, 4 * emb_dim)  # las dos capas de la red feed-forward
        self.proj = FastLinear(4 * emb_dim, emb_dim)
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x, cache=None, layer=0):
        x = x + self.drop_shortcut(self.att(self.norm1(x), cache, layer))  # atención y atajo
        # misma GELU que el libro (aproximación con tanh), hecha dentro de la multiplicación de fc
        h = self.fc(self.norm2(x), gelu=True)  # (batch, num_tokens, 4 * emb_dim)
        return x + self.drop_shortcut(self.proj(h))  # red feed-forward y atajo


class FastGPTModel(nn.Module):
    """GPT-2 para inferencia rápida, con los mismos pesos y los mismos logits que GPTModel.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.
        tie_weights: si True, out_head usa la misma matriz que tok_emb (pesos compartidos).

    Forma:
        entrada (batch, num_tokens) de ids -> logits (batch, num_tokens, vocab_size),
        o (batch, 1, vocab_size) con only_last=True.
    """

    def __init__(self, cfg, tie_weights=False):
        super().__init__()
        check_config(cfg)
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.ModuleList([FastTransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = nn.LayerNorm(cfg["emb_dim"], eps=1e-5)
        self.out_head = FastLinear(cfg["emb_dim"], cfg["vocab_size"], bias=False)
        if tie_weights:
            self.out_head.weight = self.tok_emb.weight  # la misma matriz (vocab_size, emb_dim) para las dos

    def forward(self, in_idx, cache=None, only_last=False):
        check_token_ids(in_idx, self.cfg)  # un error en español si los ids no sirven
        if cache is not None:
            cache.check_room(in_idx.shape[1], self.cfg["context_length"])
        return self.logits(in_idx, cache, only_last)

    def logits(self, in_idx, cache=None, only_last=False):
        """La pasada de forward, sin comprobar la entrada: generate_fast la usa en cada token, después de
        comprobar el texto de partida una sola vez (comprobar los ids lee dos números de la memoria)."""
        past = 0 if cache is None else len(cache)
        positions = torch.arange(past, past + in_idx.shape[1], device=in_idx.device)  # detrás de la caché
        x = self.drop_emb(self.tok_emb(in_idx) + self.pos_emb(positions))  # (batch, num_tokens, emb_dim)
        for layer, block in enumerate(self.trf_blocks):
            x = block(x, cache, layer)  # el último bloque hace avanzar len(cache)
        if only_last:
            x = x[:, -1:, :]  # para generar basta la última posición: ahorra casi toda la capa de salida
        return self.out_head(self.final_norm(x))


# nombres de GPTModel -> nombres de FastGPTModel (W_query, W_key y W_value se juntan aparte, en W_qkv)
GPT_TO_FAST_NAMES = {"norm1.scale": "norm1.weight", "norm1.shift": "norm1.bias",
                     "norm2.scale": "norm2.weight", "norm2.shift": "norm2.bias",
                     "ff.layers.0.": "fc.", "ff.layers.2.": "proj.",
                     "final_norm.scale": "final_norm.weight", "final_norm.shift": "final_norm.bias"}


def gpt_to_fast_state_dict(state_dict, cfg, tie_weights=False):
    """Traduce el state_dict de un GPTModel a los nombres de FastGPTModel, juntando W_query, W_key y W_value.

    Parámetros:
        state_dict: el de un GPTModel con la configuración cfg.
        cfg: configuración de los dos modelos.
        tie_weights: si el FastGPTModel de destino comparte tok_emb y out_head; entonces las dos
            matrices del origen deben ser iguales.

    Devuelve:
        diccionario para FastGPTModel.load_state_dict. Los tensores que no cambian se comparten
        con state_dict (no se copian).
    """
    sd = dict(state_dict)
    if tie_weights and not torch.equal(sd["tok_emb.weight"], sd["out_head.weight"]):
        raise ValueError(
            "tie_weights=True exige que tok_emb y out_head tengan la misma matriz, y en estos pesos son "
            "distintas; usa tie_weights=False (los pesos de GPT-2 preentrenado sí la comparten)."
        )
    out = {}
    for name, tensor in sd.items():
        if name.endswith(".mask") or ".att.W_" in name:
            continue  # la máscara no es un peso; W_query, W_key y W_value se juntan abajo
        for old, new in GPT_TO_FAST_NAMES.items():
            name = name.replace(old, new)
        out[name] = tensor
    for i in range(cfg["n_layers"]):
        att = f"trf_blocks.{i}.att."
        # apiladas por filas: las salidas 0..emb_dim-1 son la consulta, luego la clave y luego el valor
        out[att + "W_qkv.weight"] = torch.cat([sd[att + f"W_{p}.weight"] for p in ("query", "key", "value")])
        if cfg["qkv_bias"]:
            out[att + "W_qkv.bias"] = torch.cat([sd[att + f"W_{p}.bias"] for p in ("query", "key", "value")])
    return out


def fast_gpt_from_state_dict(state_dict, cfg, tie_weights=False):
    """Crea un FastGPTModel con los pesos de un GPTModel, sin inicializar nada al azar (en milisegundos).

    Parámetros:
        state_dict: el de un GPTModel (o el que devuelve utils.weights.hf_to_gpt_state_dict).
        cfg: su configuración.
        tie_weights: si out_head comparte la matriz de tok_emb.

    Devuelve:
        el FastGPTModel en modo eval.
    """
    fast_sd = gpt_to_fast_state_dict(state_dict, cfg, tie_weights)
    for name, tensor in fast_sd.items():
        if name.endswith(("W_qkv.weight", "out_proj.weight", "fc.weight", "proj.weight", "out_head.weight")):
            # por filas, como las crea nn.Linear: así las lee FastLinear con oneDNN (los pesos de Hugging
            # Face llegan traspuestos, y .contiguous() los copia en ese orden; si ya lo están, no copia)
            fast_sd[name] = tensor.contiguous()
    if tie_weights:
        fast_sd["tok_emb.weight"] = fast_sd["out_head.weight"]  # la misma matriz para las dos capas
    with torch.device("meta"):  # los parámetros se crean sin memoria ni valores: se sobrescribirán
        model = FastGPTModel(cfg, tie_weights)
    model.load_state_dict(fast_sd, assign=True)  # los parámetros pasan a ser estos tensores
    if tie_weights:
        model.out_head.weight = model.tok_emb.weight  # assign crea dos parámetros: se vuelven a unir
    return model.eval()


def generate_fast(model, idx, max_new_tokens, context_size, use_cache=True):
    """Genera con decodificación voraz los mismos tokens que generate_text_simple, con un FastGPTModel.

    Comprueba la entrada una vez y genera con el mismo bucle que generate_text_cached (greedy_decode).

    Parámetros:
        model: un FastGPTModel (en float32, bfloat16 o con pesos int8 de utils.quant).
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar (0 o más).
        context_size: cuántos tokens, como máximo, ve el modelo en cada paso.
        use_cache: si False, cada paso vuelve a procesar todo el contexto (como generate_text_simple).

    Devuelve:
        tensor (batch, num_tokens + max_new_tokens) con la entrada seguida de los tokens nuevos.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)
    check_token_ids(idx[:, -context_size:], model.cfg)  # una vez: los tokens siguientes los elige el modelo
    cache = FastKVCache(len(model.trf_blocks), max_tokens=context_size) if use_cache else None
    with torch.inference_mode():  # como no_grad, y además sin contar versiones de los tensores
        return greedy_decode(lambda ids, cache: model.logits(ids, cache, only_last=True), idx, max_new_tokens,
                             context_size, cache)
