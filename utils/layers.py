# utils/layers.py
"""Piezas de cada bloque transformer: normalización de capa, GELU y red feed-forward."""

import torch
import torch.nn as nn

from utils.checks import check_emb_dim, check_layer_config


class LayerNorm(nn.Module):
    """Normaliza cada vector de embedding a media 0 y varianza 1, con escala y desplazamiento aprendibles.

    Parámetros:
        emb_dim: tamaño del vector que se normaliza (la última dimensión de la entrada).

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, emb_dim):
        super().__init__()
        check_emb_dim(emb_dim, "LayerNorm")  # un error en español si emb_dim no es un entero positivo
        self.eps = 1e-5  # evita dividir entre cero si la varianza es nula
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        # varianza sesgada (divide entre n), como la LayerNorm de GPT-2 y de PyTorch
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        norm_x = (x - mean) / torch.sqrt(var + self.eps)
        return self.scale * norm_x + self.shift


class GELU(nn.Module):
    """Aplica la activación GELU con la aproximación por tangente hiperbólica que usa GPT-2.

    Forma:
        entrada de cualquier forma -> salida con la misma forma.
    """

    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(
            torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * torch.pow(x, 3))
        ))


class FeedForward(nn.Module):
    """Red de dos capas lineales que expande cada token a 4·emb_dim, aplica GELU y vuelve a emb_dim.

    Parámetros:
        cfg: configuración con la clave "emb_dim".

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, cfg):
        super().__init__()
        check_layer_config(cfg, "FeedForward")  # un error en español si cfg no es una configuración
        self.layers = nn.Sequential(
            nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]),
            GELU(),
            nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]),
        )

    def forward(self, x):
        return self.layers(x)
