# utils/config.py
"""Configuraciones de los cuatro tamaños de GPT-2 y su validación."""


GPT_CONFIG_124M = {
    "vocab_size": 50257,     # tamaño del vocabulario del tokenizador BPE de GPT-2
    "context_length": 1024,  # número máximo de tokens de entrada
    "emb_dim": 768,          # tamaño de cada vector de embedding
    "n_heads": 12,           # número de cabezas de atención
    "n_layers": 12,          # número de bloques transformer
    "drop_rate": 0.1,        # probabilidad de dropout (10 %)
    "qkv_bias": False,       # sesgo en las proyecciones de consulta, clave y valor
}

GPT_CONFIG_355M = {**GPT_CONFIG_124M, "emb_dim": 1024, "n_layers": 24, "n_heads": 16}
GPT_CONFIG_774M = {**GPT_CONFIG_124M, "emb_dim": 1280, "n_layers": 36, "n_heads": 20}
GPT_CONFIG_1558M = {**GPT_CONFIG_124M, "emb_dim": 1600, "n_layers": 48, "n_heads": 25}

GPT2_CONFIGS = {
    "gpt2-small (124M)": GPT_CONFIG_124M,
    "gpt2-medium (355M)": GPT_CONFIG_355M,
    "gpt2-large (774M)": GPT_CONFIG_774M,
    "gpt2-xl (1558M)": GPT_CONFIG_1558M,
}


