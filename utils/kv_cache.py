# utils/kv_cache.py
"""Caché KV: generación voraz que guarda las claves y los valores ya calculados en vez de repetirlos.

Funciona con cualquier GPTModel, sin tocar sus pesos: solo cambia la pasada hacia delante.
Esa pasada está escrita aparte, paso a paso, para poder leerla; da los mismos logits que GPTModel.
"""

import torch

from utils.checks import check_generation_args, check_token_ids


class KVCache:
    """Guarda, para cada bloque transformer, las claves y los valores de los tokens ya procesados.

    Parámetros:
        n_layers: número de bloques transformer del modelo (uno por entrada de la caché).
        max_tokens: número máximo de posiciones que puede guardar (como mucho, context_length).

    Forma:
        claves y valores de cada bloque: (batch, num_heads, num_tokens, head_dim).

    Cada bloque llama a update con sus claves y valores nuevos; len(cache) cuenta las posiciones de
    las pasadas completas y solo avanza cuando escribe el último bloque. FastKVCache sigue las mismas reglas.
    """

    def __init__(self, n_layers, max_tokens):
        self.max_tokens = max_tokens
        self.num_tokens = 0  # posiciones que ya han escrito todos los bloques
        self.keys = [None] * n_layers
        self.values = [None] * n_layers

    def __len__(self):
        return self.num_tokens

    def check_room(self, num_tokens, context_length):
        """Comprueba que caben num_tokens posiciones más (en la caché y en el contexto del modelo).

        Devuelve:
            nada; lanza ValueError en español que dice cómo seguir.
        """
        limit = min(self.max_tokens, context_length)
        if self.num_tokens + num_tokens > limit:
            raise ValueError(
                f"La caché ya tiene {self.num_tokens} posiciones y llegan {num_tokens} tokens más; el límite es "
                f"{limit}. Vacía la caché con reset() y vuelve a procesar solo los últimos tokens."
            )

    def update(self, layer, keys, values):
        """Añade al bloque layer las claves y valores de los tokens nuevos y los devuelve todos."""
        if self.keys[layer] is not None:
            keys = torch.cat([self.keys[layer], keys], dim=2)  # (batch, num_heads, antes + nuevos, head_dim)
            values = torch.cat([self.values[layer], values], dim=2)
        self.keys[layer], self.values[layer] = keys, values
        if layer == len(self.keys) - 1:  # el último bloque cierra la pasada
            self.num_tokens = keys.shape[2]
        return keys, values

    def reset(self):
        """Vacía la caché."""
        self.num_tokens = 0
        self.keys = [None] * len(self.keys)
        self.values = [None] * len(self.values)


def attention_with_cache(att, x, cache, layer):
    """Calcula la atención de un MultiHeadAttention solo para los tokens nuevos, usando la caché.

    Parámetros:
        att: el MultiHeadAttention de un bloque de GPTModel (se usan sus pesos y su máscara).
        x: los tokens nuevos, ya normalizados.
        cache: KVCache con las claves y valores de los tokens anteriores.
        layer: índice del bloque, para leer y escribir su parte de la caché.

    Forma:
        x (batch, num_tokens, d_in) -> salida (batch, num_tokens, d_out).
    """
    b, num_tokens, _ = x.shape
    queries = att.W_query(x).view(b, num_tokens, att.num_heads, att.head_dim).transpose(1, 2)
    keys = att.W_key(x).view(b, num_tokens, att.num_heads, att.head_dim).transpose(1, 2)
    values = att.W_value(x).view(b, num_tokens, att.num_heads, att.head_dim).transpose(1, 2)

    # las claves y valores de los tokens anteriores no cambian: se leen en vez de recalcularse
    keys, values = cache.update(layer, keys, values)  # (b, num_heads, past + num_tokens, head_dim)
    past = keys.shape[2] - num_tokens

    attn_scores = queries @ keys.transpose(2, 3)  # (b, num_heads, num_tokens, past + num_tokens)
    # la consulta i es el token de la posición past + i: ve las claves 0 .. past + i
    mask_bool = att.mask.bool()[past:past + num_tokens, :past + num_tokens]
    attn_scores.masked_fill_(mask_bool, -torch.inf)
    attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
    attn_weights = att.dropout(attn_weights)

    context_vec = (attn_weights @ values).transpose(1, 2)  # (b, num_tokens, num_heads, head_dim)
    context_vec = context_vec.contiguous().view(b, num_tokens, att.d_out)
    return att.out_proj(context_vec)


def block_with_cache(block, x, cache, layer):
    """Aplica un TransformerBlock a los tokens nuevos, con la atención de attention_with_cache.

    Forma:
        x (batch, num_tokens, emb_dim) -> salida con la misma forma.
    """
    shortcut = x
    x = block.norm1(x)
    x = attention_with_cache(block.att, x, cache, layer)
    x = block.drop_shortcut(x)
    x = x + shortcut

    shortcut = x
    x = block.norm2(x)
    x = block.ff(x)  # LayerNorm y la red feed-forward tratan cada token por separado: no necesitan caché
    x = block.drop_shortcut(x)
    return x + shortcut


def forward_with_cache(model, in_idx, cache):
    """Hace la pasada hacia delante de un GPTModel solo con los tokens nuevos, que siguen a los de la caché.

    Parámetros:
        model: un GPTModel.
        in_idx: ids de los tokens nuevos; ocupan las posiciones len(cache), len(cache) + 1, ...
        cache: KVCache del modelo; se le añaden las claves y valores de los tokens nuevos.

    Devuelve:
        los logits de los tokens nuevos, iguales a los que daría model con todos los tokens.

    Forma:
        in_idx (batch, num_tokens) -> logits (batch, num_tokens, vocab_size).
    """
    check_token_ids(in_idx, model.cfg)  # un error en español si los ids no sirven
    cache.check_room(in_idx.shape[1], model.cfg["context_length"])
    return cached_logits(model, in_idx, cache)


def cached_logits(model, in_idx, cache):
    """La pasada de forward_with_cache, sin comprobar la entrada: la usa el bucle de generación en cada token,
    después de comprobar el texto de partida una sola vez."""
    past, num_tokens = len(cache), in_idx.shape[1]
    tok_embeds = model.tok_emb(in_idx)  # (batch, num_tokens, emb_dim)
    # los tokens nuevos no empiezan en la posición 0, sino detrás de los que ya están en la caché
    pos_embeds = model.pos_emb(torch.arange(past, past + num_tokens, device=in_idx.device))
    x = model.drop_emb(tok_embeds + pos_embeds)
    for layer, block in enumerate(model.trf_blocks):
        x = block_with_cache(block, x, cache, layer)
    x = model.final_norm(x)
    return model.out_head(x)  # (batch, num_tokens, vocab_size)


def greedy_decode(logits_fn, idx, max_new_tokens, context_size, cache=None):
    """El bucle de la generación voraz con caché KV; lo comparten generate_text_cached y generate_fast.

    El primer paso procesa el texto de partida entero (el prellenado) y cada paso siguiente, solo el token
    nuevo. Cuando la ventana de context_size tokens se desplaza, todos los tokens cambian de posición y de
    contexto: la caché deja de valer y se recalcula la ventana entera, como hace generate_text_simple.

    Parámetros:
        logits_fn: función (ids, cache) -> logits (batch, num_tokens o 1, vocab_size) de los tokens ids,
            que siguen a los que ya hay en cache.
        idx: tensor de ids (batch, num_tokens) con el texto de partida, ya comprobado.
        max_new_tokens: cuántos tokens nuevos generar.
        context_size: cuántos tokens, como máximo, ve el modelo en cada paso.
        cache: KVCache o FastKVCache vacía, de context_size posiciones; con None cada paso procesa la
            ventana entera.

    Devuelve:
        tensor (batch, num_tokens + max_new_tokens) con la entrada seguida de los tokens nuevos.
    """
    start = idx.shape[1]
    out = idx.new_empty(idx.shape[0], start + max_new_tokens)  # se reserva una vez, no un tensor por paso
    out[:, :start] = idx
    new_tokens = idx[:, -context_size:]  # primer paso: todo el texto de partida que cabe
    for end in range(start, start + max_new_tokens):
        if cache is None or len(cache) + new_tokens.shape[1] > context_size:
            if cache is not None:
                cache.reset()  # la ventana se desplaza: las posiciones cambian y hay que recalcular todo
            new_tokens = out[:, max(0, end - context_size):end]
        logits = logits_fn(new_tokens, cache)[:, -1]  # (batch, vocab_size)
        out[:, end] = logits.argmax(dim=-1)  # softmax no cambia cuál es el mayor
        new_tokens = out[:, end:end + 1]  # el paso siguiente solo procesa este token
    return out


def generate_text_cached(model, idx, max_new_tokens, context_size):
    """Genera como generate_text_simple (los mismos tokens), pero con una caché KV.

    Comprueba la entrada una vez y genera con greedy_decode: mientras caben en el contexto, cada paso
    procesa solo el token nuevo; cuando la ventana se desplaza, se recalcula entera.

    Parámetros:
        model: un GPTModel.
        idx: tensor de ids (batch, num_tokens) con el texto de partida.
        max_new_tokens: cuántos tokens nuevos generar (0 o más).
        context_size: cuántos tokens, como máximo, ve el modelo en cada paso.

    Devuelve:
        tensor (batch, num_tokens + max_new_tokens) con la entrada seguida de los tokens nuevos.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)
    check_token_ids(idx[:, -context_size:], model.cfg)  # una vez: los tokens siguientes los elige el modelo
    cache = KVCache(model.cfg["n_layers"], max_tokens=context_size)
    with torch.no_grad():
        return greedy_decode(lambda ids, cache: cached_logits(model, ids, cache), idx, max_new_tokens,
                             context_size, cache)
