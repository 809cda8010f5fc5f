# utils/config.py
"""Configuraciones de los cuatro tamaños de GPT-2 (su validación, check_config, está en utils/checks.py)."""


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

# Los cuatro tamaños de GPT-2, nombrados por sus parámetros: su nombre en el libro, su configuración y el
# repositorio del Hugging Face Hub con los pesos de OpenAI. De esta tabla salen los pesos publicados
# (utils/weights.py) y su descarga (utils/hub.py).
GPT2_SIZES = {
    "124M": {"name": "gpt2-small (124M)", "cfg": GPT_CONFIG_124M, "repo": "openai-community/gpt2"},
    "355M": {"name": "gpt2-medium (355M)", "cfg": GPT_CONFIG_355M, "repo": "openai-community/gpt2-medium"},
    "774M": {"name": "gpt2-large (774M)", "cfg": GPT_CONFIG_774M, "repo": "openai-community/gpt2-large"},
    "1558M": {"name": "gpt2-xl (1558M)", "cfg": GPT_CONFIG_1558M, "repo": "openai-community/gpt2-xl"},
}
GPT2_CONFIGS = {size["name"]: size["cfg"] for size in GPT2_SIZES.values()}  # nombre del libro -> configuración


