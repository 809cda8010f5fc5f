# utils/attention.py
"""Atención multicabeza causal, tal como la usa cada bloque de GPT-2 (la construye el notebook 5)."""

import torch
import torch.nn as nn

from utils.checks import check_attention_args


class MultiHeadAttention(nn.Module):
    """Calcula atención causal con varias cabezas en paralelo y combina sus resultados.

    Parámetros:
        d_in: tamaño de los vectores de entrada.
        d_out: tamaño de los vectores de salida; se reparte a partes iguales entre las cabezas.
        context_length: número máximo de tokens (tamaño de la máscara causal).
        dropout: probabilidad de dropout sobre los pesos de atención.
        num_heads: número de cabezas.
        qkv_bias: si las proyecciones de consulta, clave y valor llevan sesgo.

    Forma:
        entrada (batch, num_tokens, d_in) -> salida (batch, num_tokens, d_out).
    """

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        check_attention_args(d_in, d_out, context_length, dropout, num_heads)  # un error en español si no sirven
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)  # mezcla lo que aporta cada cabeza
        self.dropout = nn.Dropout(dropout)
        # 1 por encima de la diagonal: las posiciones futuras que cada token no puede ver
        self.register_buffer(
            "mask", torch.triu(torch.ones(context_length, context_length), diagonal=1)
        )

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        queries = self.W_query(x)  # (b, num_tokens, d_out)
        keys = self.W_key(x)
        values = self.W_value(x)

        # separa las cabezas: (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        keys = keys.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        values = values.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

        attn_scores = queries @ keys.transpose(2, 3)  # (b, num_heads, num_tokens, num_tokens)
        mask_bool = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores.masked_fill_(mask_bool, -torch.inf)
        # dividir entre sqrt(head_dim) evita que softmax se sature con vectores largos
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)

        # junta las cabezas: (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, d_out)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context_vec)
