# utils/gpt.py
"""El bloque transformer y el modelo GPT completo."""

import torch
import torch.nn as nn

from utils.attention import MultiHeadAttention
from utils.checks import check_config, check_layer_config, check_token_ids
from utils.layers import FeedForward, LayerNorm


class TransformerBlock(nn.Module):
    """Aplica atención y red feed-forward, cada una tras una LayerNorm y dentro de un atajo.

    Parámetros:
        cfg: configuración como GPT_CONFIG_124M.

    Forma:
        entrada (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """

    def __init__(self, cfg):
        super().__init__()
        check_layer_config(cfg, "TransformerBlock")  # un error en español si falta alguna clave
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

    def __init__(self, cfg):
        super().__init__()
        check_config(cfg)  # un error en español si la configuración no sirve
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg)  # un error en español si los ids no sirven
        batch_size, seq_len = in_idx.shape
        tok_embeds = self.tok_emb(in_idx)  # (batch, num_tokens, emb_dim)
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (num_tokens, emb_dim)
        x = tok_embeds + pos_embeds  # se suman por difusión sobre el lote
        x = self.drop_emb(x)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        logits = self.out_head(x)  # (batch, num_tokens, vocab_size)
        return logits
