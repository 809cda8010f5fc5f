# utils/quant.py
"""Pesos en 8 bits (int8) para generar más deprisa: cada número de las matrices ocupa 1 byte en vez de 4.

Al generar un solo texto, cada token nuevo lee todas las matrices del modelo, y ese tiempo de lectura es
casi todo el tiempo del paso. Guardar los pesos en int8 divide por cuatro los bytes que se leen; las
activaciones siguen en coma flotante («solo los pesos», weight-only).

Usamos el kernel de PyTorch torch.ops.aten._weight_int8pack_mm (el mismo que usa la biblioteca torchao
para este esquema en CPU): no añade dependencias. La cuantización dinámica de torch.ao, la otra opción
sin dependencias, también pasa las activaciones a int8 y PyTorch avisa de que va a retirarla.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def quantize_rows(weight):
    """Cuantiza una matriz a int8 fila a fila, con una escala por fila (simétrica, sin desplazamiento).

    Parámetros:
        weight: matriz (out_features, in_features) en coma flotante.

    Devuelve:
        (pesos int8 (out_features, in_features), escalas float32 (out_features,)),
        con weight ≈ pesos * escalas[:, None].
    """
    weight = weight.detach().float()
    scales = weight.abs().amax(dim=1).clamp(min=1e-12) / 127  # el mayor valor de cada fila pasa a ser ±127
    q = torch.round(weight / scales[:, None]).clamp(-127, 127).to(torch.int8)
    return q.contiguous(), scales


class Int8Linear(nn.Module):
    """Capa lineal con la matriz en int8 y una escala por fila; la entrada y la salida, en coma flotante.

    Parámetros:
        linear: el nn.Linear que se cuantiza (no se modifica).
        compute_dtype: tipo en el que se multiplica; bfloat16 por defecto, porque el kernel de PyTorch
            en CPU solo es rápido con entradas bfloat16 (con float32 fue unas 15 veces más lento en nuestra CPU).

    Forma:
        entrada (..., in_features) -> salida (..., out_features), con el tipo de la entrada.
        forward(x, gelu=True) aplica además GELU (aproximación con tanh), como FastLinear.
    """

    def __init__(self, linear, compute_dtype=torch.bfloat16):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.compute_dtype = compute_dtype
        q, scales = quantize_rows(linear.weight)
        self.register_buffer("weight_int8", q)  # (out_features, in_features), 1 byte por número
        self.register_buffer("scales", scales.to(compute_dtype))
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x, gelu=False):
        shape = x.shape
        x2d = x.reshape(-1, self.in_features).to(self.compute_dtype)
        if hasattr(torch.ops.aten, "_weight_int8pack_mm"):
            y = torch.ops.aten._weight_int8pack_mm(x2d, self.weight_int8, self.scales)
        else:  # PyTorch sin ese kernel: mismas cuentas, desempaquetando la matriz (más lento)
            y = x2d @ (self.weight_int8.to(self.compute_dtype) * self.scales[:, None]).t()
        y = y.to(x.dtype).reshape(*shape[:-1], self.out_features)
        y = y if self.bias is None else y + self.bias.to(x.dtype)
        return F.gelu(y, approximate="tanh") if gelu else y

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def quantize_int8(model, compute_dtype=torch.bfloat16):
    """Devuelve una copia del modelo con cada nn.Linear cambiada por una Int8Linear (el original no cambia).

    Los embeddings, las normalizaciones y los sesgos siguen en float32. Si out_head compartía la matriz
    de tok_emb, la copia de out_head pasa a int8 y tok_emb sigue en float32.

    Parámetros:
        model: un FastGPTModel (o cualquier modelo con capas nn.Linear).
        compute_dtype: tipo de las multiplicaciones (ver Int8Linear).
    """
    quantized = copy.deepcopy(model)
    for module in list(quantized.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, name, Int8Linear(child, compute_dtype))
    return quantized.eval()
