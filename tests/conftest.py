"""Configuración común de las pruebas: caché de tiktoken sin red, configuraciones pequeñas y herramientas
del sistema que en CI no pueden faltar."""

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


def in_ci():
    """Dice si las pruebas corren en CI (CI=true, como en .ci/run): allí no se salta nada."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def missing_tool():
    """Devuelve una función que, cuando falta una herramienta del sistema (hunspell, git, Chromium...), salta
    la prueba en la máquina de un alumno y la hace fallar en CI, donde .ci/run la instala siempre."""

    def missing(message):
        if in_ci():
            pytest.fail(f"{message} (en CI no se salta: .ci/run debería haberla instalado)")
        pytest.skip(message)

    return missing


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
