# utils/gpt.py
"""El bloque transformer y el modelo GPT completo."""

import torch
import torch.nn as nn

from utils.attention import MultiHeadAttention
from utils.checks import (
    BLOCK_KEYS,
    check_cfg_argument,
    check_config,
    check_sequence_input,
    check_token_ids,
)
from utils.layers import FeedForward, LayerNorm


class TransformerBlock(nn.Module):
    """Aplica atención y red feed-forward, cada una tras una LayerNorm y dentro de un atajo.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, cfg=None, **unpacked):
        super().__init__()
        # la configuración se valida entera una vez, en GPTModel; usado suelto, el bloque solo mira que
        # estén las claves, y cada pieza (MultiHeadAttention, LayerNorm...) comprueba sus valores
        check_cfg_argument("TransformerBlock", cfg, unpacked, needed=BLOCK_KEYS)
        self.att = MultiHeadAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            num_heads=cfg["n_heads"],
            dropout=cfg["drop_rate"],
            qkv_bias=cfg["qkv_bias"],
        )
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        emb_dim, context_length = self.norm1.scale.shape[0], self.att.mask.shape[0]
        check_sequence_input(x, emb_dim, context_length, "TransformerBlock")
        shortcut = x
        x = self.norm1(x)  # pre-LayerNorm: se normaliza antes de cada subcapa
        x = self.att(x)
        x = self.drop_shortcut(x)
        x = x + shortcut  # conexión de atajo

        shortcut = x
        x = self.norm2(x)
        x = self.ff(x)
        x = self.drop_shortcut(x)
        x = x + shortcut
        return x


class GPTModel(nn.Module):
    """Modelo GPT-2: embeddings, n_layers bloques transformer, LayerNorm final y capa de salida.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.

    Forma:
        entrada (batch, num_tokens) de ids -> logits (batch, num_tokens, vocab_size).
    """

    def __init__(self, cfg=None, **unpacked):
        super().__init__()
        check_cfg_argument("GPTModel", cfg, unpacked)
        check_config(cfg)  # la única validación de la configuración: aquí entra
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg["vocab_size"], self.cfg["context_length"])
        batch_size, num_tokens = in_idx.shape
        tok_embeds = self.tok_emb(in_idx)  # (batch, num_tokens, emb_dim)
        pos_embeds = self.pos_emb(torch.arange(num_tokens, device=in_idx.device))  # (num_tokens, emb_dim)
        x = tok_embeds + pos_embeds  # se suman por difusión sobre el lote
        x = self.drop_emb(x)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)  # (batch, num_tokens, vocab_size)
