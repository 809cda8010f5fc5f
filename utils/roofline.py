# utils/roofline.py
"""El techo de tu máquina: cuánta memoria lee por segundo y cuántas cuentas hace, medido en ella misma.

Generar un texto token a token obliga a leer todas las matrices del modelo en cada paso. Si leer
memoria es lo más lento, ningún programa puede generar más deprisa que

    tokens por segundo ≤ ancho de banda de memoria (bytes/s) / bytes de pesos que se leen por token.

Ese cociente es el techo (roofline) de la decodificación. Las medidas son cortas (unos segundos) y
cambian de una ejecución a otra si la máquina está ocupada.
"""

import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.fast_gpt import FastLinear


def _best_seconds(fn, reps):
    """Devuelve el menor de reps tiempos de fn(), tras una ejecución de calentamiento."""
    fn()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def memory_bandwidth(size_mib=256, reps=5):
    """Mide el ancho de banda de lectura de memoria en bytes por segundo.

    Suma un tensor float32 de size_mib MiB, mucho mayor que las cachés de la CPU, y se queda con la
    repetición más rápida (la que menos sufrió a otros programas).

    Parámetros:
        size_mib: tamaño del tensor que se lee, en MiB.
        reps: repeticiones medidas.
    """
    x = torch.ones(size_mib * 2**20 // 4)
    return x.numel() * 4 / _best_seconds(x.sum, reps)


def linear_of_ones(in_features, out_features, dtype=torch.float32):
    """Un FastLinear sin sesgo con la matriz llena de unos, sin sortear nada: para medir, no para aprender."""
    linear = FastLinear(in_features, out_features, bias=False, device="meta")
    linear.weight = nn.Parameter(torch.ones(out_features, in_features, dtype=dtype), requires_grad=False)
    return linear


def matvec_bandwidth(rows=16384, cols=4096, reps=5, onednn=True):
    """Mide a qué velocidad lee memoria una multiplicación matriz × vector float32, en bytes por segundo.

    Es la operación de cada capa lineal al generar un token. Con onednn=True se multiplica como
    FastLinear (con oneDNN, si esta instalación de PyTorch lo tiene); con onednn=False, como F.linear,
    que en float32 usa MKL y en muchas CPU lee bastante por debajo de memory_bandwidth, porque no reparte
    bien el trabajo entre los núcleos. La matriz ocupa 256 MiB por defecto, guardada por filas.
    """
    linear = linear_of_ones(cols, rows)
    x = torch.ones(1, cols)
    multiply = linear if onednn else (lambda v: F.linear(v, linear.weight))
    with torch.no_grad():
        return rows * cols * 4 / _best_seconds(lambda: multiply(x), reps)


def matmul_flops(n=1024, dtype=torch.float32, reps=5):
    """Mide cuántas operaciones de coma flotante por segundo hace una multiplicación n × n × n.

    Cuenta 2·n³ FLOPs (una multiplicación y una suma por término). Se mide con a @ b y con FastLinear
    (oneDNN), y se queda con la más rápida: el techo es lo mejor que consigue la máquina.

    Parámetros:
        n: tamaño de las matrices cuadradas.
        dtype: torch.float32 o torch.bfloat16.
        reps: repeticiones medidas.
    """
    a = torch.ones(n, n, dtype=dtype)
    linear = linear_of_ones(n, n, dtype)
    with torch.no_grad():
        seconds = min(_best_seconds(lambda: a @ linear.weight, reps), _best_seconds(lambda: linear(a), reps))
    return 2 * n**3 / seconds


def cpu_features():
    """Describe la CPU: nombre, instrucciones vectoriales que usa PyTorch y si hace bfloat16 por hardware.

    Devuelve:
        diccionario con "name", "cores" (núcleos visibles), "threads" (hilos de PyTorch),
        "torch_capability" (p. ej. "AVX2" o "AVX512"), "flags" (las extensiones que importan aquí,
        de /proc/cpuinfo) y "native_bf16" (True si la CPU tiene instrucciones bfloat16: avx512_bf16
        o amx_bf16).
    """
    name, flags = platform.processor() or "desconocida", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {
        "name": name,
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch_capability": torch.backends.cpu.get_cpu_capability(),
        "flags": [f for f in wanted if f in flags],
        "native_bf16": bool(flags & {"avx512_bf16", "amx_bf16"}),
    }


def weight_bytes_per_token(model, cached_tokens=0, kv_bytes_per_value=4):
    """Cuenta los bytes de pesos que lee un paso de generación: todos, salvo una fila de cada embedding.

    Las capas lineales y las normalizaciones se leen enteras en cada paso; de una tabla de embeddings
    solo se lee la fila del token o de la posición. Si out_head comparte la matriz de tok_emb, esa matriz
    se lee entera una vez (para la capa de salida). Sirve para GPTModel, FastGPTModel (también en
    bfloat16 o con pesos int8) y GPT2LMHeadModel de Hugging Face. Las máscaras guardadas no cuentan.

    Parámetros:
        model: el modelo.
        cached_tokens: posiciones ya guardadas en la caché KV; sus claves y valores también se leen.
        kv_bytes_per_value: bytes de cada número de la caché (4 en float32, 2 en bfloat16).
    """
    read = {}  # id del tensor -> bytes leídos de él (un peso compartido cuenta una vez)
    n_layers = emb_dim = 0
    for module in model.modules():
        tensors = list(module.parameters(recurse=False))
        # búferes: los pesos int8 y sus escalas sí; las máscaras causales (mask, o bias en Hugging Face), no
        tensors += [b for name, b in module.named_buffers(recurse=False) if "mask" not in name and name != "bias"]
        for t in tensors:
            if isinstance(module, nn.Embedding):
                size = t.shape[1] * t.element_size()  # una fila
                emb_dim = max(emb_dim, t.shape[1])
            else:
                size = t.numel() * t.element_size()
            read[id(t)] = max(read.get(id(t), 0), size)
        if module.__class__.__name__.endswith(("TransformerBlock", "GPT2Block")):
            n_layers += 1
    kv = 2 * n_layers * cached_tokens * emb_dim * kv_bytes_per_value  # claves y valores de cada bloque
    return sum(read.values()) + kv


def decode_ceiling(bandwidth, bytes_per_token):
    """Devuelve el techo de tokens por segundo: ancho de banda / bytes que se leen por token."""
    if bandwidth <= 0 or bytes_per_token <= 0:
        raise ValueError(
            f"bandwidth ({bandwidth}) y bytes_per_token ({bytes_per_token}) deben ser positivos; "
            "mide el primero con memory_bandwidth() y el segundo con weight_bytes_per_token(model)."
        )
    return bandwidth / bytes_per_token


@dataclass
class Roofline:
    """Las medidas de la máquina: memoria (bytes/s) y cuentas (FLOP/s), con la descripción de la CPU.

    bandwidth: leer memoria (una suma); matvec_bandwidth: matriz × vector como FastLinear (oneDNN);
    mkl_matvec_bandwidth: la misma multiplicación con F.linear (MKL en float32); fp32_flops y bf16_flops:
    multiplicación de matrices (bf16_flops es None si la CPU no hace bfloat16 por hardware).
    """

    bandwidth: float
    matvec_bandwidth: float
    mkl_matvec_bandwidth: float
    fp32_flops: float
    bf16_flops: float | None
    cpu: dict = field(default_factory=dict)


def measure_roofline(quick=True):
    """Mide el techo de esta máquina con los hilos que tenga PyTorch (unos segundos con quick=True).

    bfloat16 solo se mide si la CPU lo hace por hardware; si no, bf16_flops es None.
    """
    reps = 3 if quick else 9
    size = 256 if quick else 512
    cpu = cpu_features()
    bf16 = matmul_flops(1024, torch.bfloat16, reps) if cpu["native_bf16"] else None
    return Roofline(
        bandwidth=memory_bandwidth(size, reps),
        matvec_bandwidth=matvec_bandwidth(reps=reps),
        mkl_matvec_bandwidth=matvec_bandwidth(reps=reps, onednn=False),
        fp32_flops=matmul_flops(1024 if quick else 2048, torch.float32, reps),
        bf16_flops=bf16,
        cpu=cpu,
    )
