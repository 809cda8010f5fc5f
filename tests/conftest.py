"""Configuración común de las pruebas: caché de tiktoken sin red, configuraciones pequeñas y herramientas
del sistema que en CI no pueden faltar."""

import os
import shutil
import tempfile

import pytest
import torch

from utils.config import GPT_CONFIG_124M
from utils.tokenizer import install_gpt2_bpe_files


def pytest_configure(config):
    # Una caché propia y recién llenada: las pruebas y los kernels de nbval (que heredan el entorno)
    # usan el tokenizador sin red, tenga lo que tenga la caché de la máquina.
    cache = tempfile.mkdtemp(prefix="tiktoken-cache-")
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))  # no deja una carpeta por ejecución
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


# GPT-2 de Hugging Face diminuto, con las mismas dimensiones que tiny_cfg.
TINY_HF = dict(vocab_size=100, n_positions=16, n_embd=32, n_layer=2, n_head=4)


@pytest.fixture(scope="session")
def random_hf_gpt2():
    """Devuelve una función (seed, **config) -> GPT2LMHeadModel aleatorio en modo eval, sin dropout, con
    sesgos y LayerNorm perturbados para que un mapeo equivocado (un sesgo olvidado, q y k intercambiadas,
    una matriz sin trasponer) no pase inadvertido. Sin argumentos de configuración, es el diminuto (TINY_HF);
    con size="124M", el GPT-2 de 124M completo."""
    from transformers import GPT2Config, GPT2LMHeadModel

    def build(seed, size="tiny", **kwargs):
        torch.manual_seed(seed)
        base = TINY_HF if size == "tiny" else {}
        config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None,
                            eos_token_id=None, **{**base, **kwargs})
        hf = GPT2LMHeadModel(config).eval()
        with torch.no_grad():
            for name, param in hf.named_parameters():
                if name.endswith("bias") or ".ln_" in name:
                    param.add_(torch.randn_like(param) * 0.2)
        return hf

    return build


@pytest.fixture(scope="session")
def hf_greedy():
    """Devuelve una función (hf, idx, steps, context) -> idx con steps tokens voraces de Hugging Face,
    viendo como mucho los últimos context tokens: la referencia para generate_text_simple."""

    def greedy(hf, idx, steps, context):
        for _ in range(steps):
            with torch.no_grad():
                nxt = hf(idx[:, -context:]).logits[:, -1].argmax(-1, keepdim=True)
            idx = torch.cat([idx, nxt], dim=1)
        return idx

    return greedy
