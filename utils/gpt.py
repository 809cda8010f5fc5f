# utils/gpt.py
"""El bloque transformer y el modelo GPT completo."""

import torch
import torch.nn as nn

from utils.attention import MultiHeadAttention, check_sequence_input
from utils.config import check_config, check_required_keys
from utils.layers import FeedForward, LayerNorm

BLOCK_KEYS = ("emb_dim", "context_length", "n_heads", "drop_rate", "qkv_bias")  # las que lee TransformerBlock


def check_cfg_argument(name, cfg, unpacked, needed=()):
    """Comprueba que name recibió la configuración como un diccionario, no repartida: name(**cfg).

    Parámetros:
        name: "GPTModel" o "TransformerBlock", para el mensaje.
        cfg: lo que llegó como configuración.
        unpacked: los argumentos con nombre que llegaron además (vacío si todo va bien).
        needed: claves que deben estar en cfg (los valores los comprueba check_config o cada pieza).

    Devuelve:
        nada; lanza TypeError en español.
    """
    if unpacked:
        raise TypeError(
            f"{name} recibe la configuración entera, como un solo diccionario: {name}(cfg), "
            f"no {name}(**cfg). Ha recibido los argumentos sueltos {', '.join(unpacked)}."
        )
    if not isinstance(cfg, dict):
        raise TypeError(
            f"La configuración debe ser un diccionario como GPT_CONFIG_124M, no {type(cfg).__name__}: "
            f"{name}(GPT_CONFIG_124M)."
        )
    check_required_keys(cfg, needed)


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


def check_token_ids(in_idx, vocab_size, context_length):
    """Comprueba que la entrada del modelo es un lote válido de ids de tokens.

    Parámetros:
        in_idx: tensor de enteros de forma (batch, num_tokens).
        vocab_size: tamaño del vocabulario; los ids deben estar en [0, vocab_size).
        context_length: número máximo de tokens que admite el modelo.

    Devuelve:
        nada; lanza TypeError o ValueError en español si la entrada no sirve.
    """
    if not isinstance(in_idx, torch.Tensor):
        raise TypeError(
            f"La entrada debe ser un tensor de ids de tokens, no {type(in_idx).__name__}; "
            "usa torch.tensor([ids]) o text_to_token_ids(texto, tokenizer)."
        )
    if in_idx.dtype.is_floating_point or in_idx.dtype.is_complex or in_idx.dtype == torch.bool:
        raise TypeError(
            f"Los ids de tokens deben ser enteros, y el tensor es de tipo {in_idx.dtype}; "
            "conviértelo con .long()."
        )
    if in_idx.dim() != 2:
        hint = " Añade la dimensión del lote con .unsqueeze(0)." if in_idx.dim() == 1 else ""
        raise ValueError(
            f"La entrada debe tener forma (batch, num_tokens), y tiene forma {tuple(in_idx.shape)}.{hint}"
        )
    num_tokens = in_idx.shape[1]
    if in_idx.numel() == 0:
        raise ValueError(
            f"La entrada está vacía (forma {tuple(in_idx.shape)}); pasa al menos un texto con un token."
        )
    if num_tokens > context_length:
        raise ValueError(
            f"La entrada tiene {num_tokens} tokens y el modelo admite como máximo context_length="
            f"{context_length}; recórtala, por ejemplo con in_idx[:, -{context_length}:]."
        )
    if in_idx.is_meta:
        return  # un tensor en el dispositivo meta solo tiene forma y tipo, no valores que mirar
    low, high = int(in_idx.min()), int(in_idx.max())
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise ValueError(
            f"El id de token {bad} está fuera del vocabulario: los ids válidos van de 0 a "
            f"{vocab_size - 1}. ¿Usaste el mismo tokenizador que el modelo (gpt2)?"
        )


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
