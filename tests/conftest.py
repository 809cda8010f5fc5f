"""Configuración común de las pruebas: caché de tiktoken sin red y configuraciones pequeñas."""

import os
import tempfile

import pytest
import torch

from utils.config import GPT_CONFIG_124M
from utils.tokenizer import install_gpt2_bpe_files


def pytest_configure(config):
    # Una caché propia y recién llenada: las pruebas y los kernels de nbval (que heredan el entorno)
    # usan el tokenizador sin red, tenga lo que tenga la caché de la máquina.
    cache = tempfile.mkdtemp(prefix="tiktoken-cache-")
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    install_gpt2_bpe_files(cache)


@pytest.fixture
def tiny_cfg():
    """Configuración diminuta para pruebas rápidas (sin dropout, para que sean deterministas)."""
    return {
        "vocab_size": 100,
        "context_length": 16,
        "emb_dim": 32,
        "n_heads": 4,
        "n_layers": 2,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }


@pytest.fixture(scope="session")
def gpt124_seed123():
    """GPTModel(GPT_CONFIG_124M) creado con torch.manual_seed(123), como en el libro."""
    from utils.gpt import GPTModel

    torch.manual_seed(123)
    return GPTModel(GPT_CONFIG_124M)


@pytest.fixture(scope="session")
def tokenizer():
    import tiktoken

    return tiktoken.get_encoding("gpt2")
