# utils/flops.py
"""Fórmulas de parámetros, FLOPs y memoria de GPTModel, y su medida con las herramientas de PyTorch.

Las fórmulas describen exactamente nuestra implementación (utils/gpt.py) en float32; las funciones
count_* y measure_* miden lo mismo con PyTorch para comprobarlas.
"""

import torch
from torch.utils.flop_counter import FlopCounterMode

from utils.gpt import GPTModel

BYTES_FLOAT32 = 4


def count_parameters(cfg, weight_tying=False):
    """Devuelve el número de parámetros de GPTModel(cfg), calculado con la fórmula.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.
        weight_tying: si out_head comparte la matriz de tok_emb (pesos compartidos, como GPT-2).
    """
    E, V, C, L = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"], cfg["n_layers"]
    attention = 3 * E * E + (3 * E if cfg["qkv_bias"] else 0) + E * E + E  # W_query/W_key/W_value, out_proj
    feed_forward = E * 4 * E + 4 * E + 4 * E * E + E  # dos capas lineales con sesgo
    norms = 2 * 2 * E  # norm1 y norm2: scale y shift
    per_block = attention + feed_forward + norms
    out_head = 0 if weight_tying else V * E
    return V * E + C * E + L * per_block + 2 * E + out_head


def matmul_parameters(cfg):
    """Devuelve cuántos pesos intervienen en multiplicaciones de matrices para cada token.

    Son los de las capas lineales sin sesgos (12·emb_dim² por bloque) más la capa de salida
    (vocab_size·emb_dim). Los embeddings se consultan por índice y no multiplican nada.
    """
    E, V, L = cfg["emb_dim"], cfg["vocab_size"], cfg["n_layers"]
    return L * 12 * E * E + V * E


def forward_flops(cfg, num_tokens, batch_size=1):
    """Devuelve los FLOPs de multiplicaciones de matrices de una pasada hacia delante de GPTModel.

    Cuenta 2·m·n·k por cada producto (m×k)·(k×n), igual que torch.utils.flop_counter: las capas
    lineales (2·matmul_parameters por token) y los dos productos de la atención, consultas por
    claves y pesos por valores (4·emb_dim·num_tokens por token y bloque, sobre la matriz entera
    num_tokens×num_tokens que calcula nuestra implementación, también la parte tapada por la máscara).

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.
        num_tokens: tokens de cada secuencia de la entrada.
        batch_size: número de secuencias del lote.
    """
    E, L = cfg["emb_dim"], cfg["n_layers"]
    tokens = batch_size * num_tokens
    linear = 2 * tokens * matmul_parameters(cfg)
    attention = L * 2 * 2 * batch_size * num_tokens * num_tokens * E  # Q·Kᵀ y pesos·V
    return linear + attention


def flops_per_token(cfg, num_tokens):
    """Devuelve los FLOPs de la pasada hacia delante divididos entre los tokens procesados.

    Es 2·matmul_parameters(cfg) + 4·n_layers·num_tokens·emb_dim: la primera parte no depende del
    contexto; la segunda (la atención) crece con él.
    """
    return forward_flops(cfg, num_tokens) // num_tokens


def training_flops(cfg, num_tokens, batch_size=1):
    """Devuelve los FLOPs de matrices de un paso de entrenamiento: pasada hacia delante y retropropagación.

    La retropropagación hace dos productos por cada uno de la pasada hacia delante, del mismo coste:
    el gradiente respecto a cada factor (en una capa lineal, la entrada y el peso). El total es el triple.
    """
    return 3 * forward_flops(cfg, num_tokens, batch_size)


def count_flops(cfg, num_tokens, batch_size=1, device="meta", backward=False):
    """Mide con FlopCounterMode los FLOPs de GPTModel(cfg) sobre una entrada de num_tokens tokens.

    Ejecuta la pasada hacia delante del propio GPTModel. En el dispositivo "meta" los tensores no
    tienen datos: se conocen las formas y las operaciones, pero no se calcula nada. Por eso medir
    incluso el GPT-2 de 1558M cuesta alrededor de un segundo.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.
        num_tokens: tokens de cada secuencia de la entrada.
        batch_size: número de secuencias del lote.
        device: "meta" (sin cálculos) o "cpu".
        backward: si se mide también la retropropagación de la suma de los logits.

    Devuelve:
        (total de FLOPs, {nombre de la operación de aten: FLOPs}).
    """
    with torch.device(device):
        model = GPTModel(cfg)
        in_idx = torch.zeros(batch_size, num_tokens, dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with counter:
        logits = model(in_idx)  # en "meta", GPTModel comprueba la forma de in_idx, pero no sus valores
        if backward:
            logits.sum().backward()
    by_op = {str(op).removeprefix("aten."): n for op, n in counter.get_flop_counts()["Global"].items()}
    return counter.get_total_flops(), by_op


def weights_bytes(cfg, weight_tying=False, bytes_per_param=BYTES_FLOAT32):
    """Devuelve la memoria de los pesos: parámetros por bytes de cada uno (4 en float32, 2 en bfloat16)."""
    return count_parameters(cfg, weight_tying) * bytes_per_param


def kv_cache_bytes(cfg, num_tokens, batch_size=1, bytes_per_value=BYTES_FLOAT32):
    """Devuelve la memoria de una caché KV con num_tokens tokens: claves y valores de cada bloque.

    Cada bloque guarda dos tensores (batch, num_tokens, emb_dim): las claves y los valores.
    """
    return 2 * cfg["n_layers"] * batch_size * num_tokens * cfg["emb_dim"] * bytes_per_value


def logits_bytes(cfg, num_tokens, batch_size=1, bytes_per_value=BYTES_FLOAT32):
    """Devuelve la memoria del tensor de logits (batch, num_tokens, vocab_size) que devuelve el modelo."""
    return batch_size * num_tokens * cfg["vocab_size"] * bytes_per_value


def optimizer_state_bytes(cfg, weight_tying=False, bytes_per_value=BYTES_FLOAT32):
    """Devuelve la memoria del estado de AdamW: dos tensores (media y media de cuadrados) por parámetro."""
    return 2 * count_parameters(cfg, weight_tying) * bytes_per_value


def training_memory_bytes(cfg, num_tokens, batch_size=1):
    """Devuelve la memoria de un paso de entrenamiento con AdamW en float32, sin contar la caché KV.

    Suma pesos, gradientes (uno por peso), estado de AdamW (dos por peso), activaciones guardadas
    para la retropropagación y logits.
    """
    weights = weights_bytes(cfg)
    return (weights + weights + optimizer_state_bytes(cfg) + activation_bytes(cfg, num_tokens, batch_size)
            + logits_bytes(cfg, num_tokens, batch_size))


def activation_bytes(cfg, num_tokens, batch_size=1):
    """Devuelve la memoria de las activaciones que GPTModel guarda para la retropropagación (float32).

    Es lo que autograd retiene en model.train() hasta llamar a backward(). Por bloque y token:
    3·emb_dim + 1 valores en cada LayerNorm, 5·emb_dim en la atención (entrada, consultas, claves,
    valores y vectores de contexto), n_heads·num_tokens pesos de atención, y 21·emb_dim en la red
    feed-forward (16 de ellos los guarda GELU, que se calcula en varios pasos). Además, por bloque,
    la máscara causal en bool (context_length² bytes) y el escalar de GELU; al final, la LayerNorm
    final, la entrada de out_head y los ids (int64). Con dropout se añaden sus máscaras.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.
        num_tokens: tokens de cada secuencia de la entrada.
        batch_size: número de secuencias del lote.
    """
    E, H, L, C = cfg["emb_dim"], cfg["n_heads"], cfg["n_layers"], cfg["context_length"]
    tokens = batch_size * num_tokens
    per_token = 2 * (3 * E + 1) + 5 * E + H * num_tokens + 21 * E  # valores float32 por token y bloque
    if cfg["drop_rate"] > 0:
        # máscaras y salidas de dropout: pesos de atención (2·H·T) y los dos atajos (2·E)
        per_token += 2 * H * num_tokens + 2 * E
    per_block = tokens * per_token * BYTES_FLOAT32 + C * C + BYTES_FLOAT32  # + máscara bool + escalar de GELU
    final = tokens * (3 * E + 1 + E) * BYTES_FLOAT32  # LayerNorm final y entrada de out_head
    if cfg["drop_rate"] > 0:
        final += tokens * E * BYTES_FLOAT32  # máscara de drop_emb
    ids = (tokens + num_tokens) * 8  # in_idx (batch, num_tokens) y las posiciones (num_tokens,), int64
    return L * per_block + final + ids


def measure_activation_bytes(model, in_idx):
    """Mide los bytes que autograd guarda para la retropropagación en una pasada hacia delante.

    Usa torch.autograd.graph.saved_tensors_hooks y cuenta cada almacenamiento una sola vez
    (varias operaciones pueden guardar el mismo tensor); no cuenta los parámetros.

    Parámetros:
        model: un GPTModel (en model.train() si se quiere contar dropout).
        in_idx: tensor de ids (batch, num_tokens).
    """
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        logits = model(in_idx)
    del logits
    return sum(saved.values())
