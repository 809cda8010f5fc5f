"""Configuración común de las pruebas: caché de tiktoken sin red, configuraciones pequeñas, herramientas
del sistema que en CI no pueden faltar, la lista de notebooks del curso, la red cortada, python curso.py en marcha
y lo que cumple toda pregunta «¿Lo has entendido?»."""

import contextlib
import inspect
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import torch

from tools.colab import notebook_paths
from utils.config import GPT_CONFIG_124M
from utils.exercises.common import CHECK_CFG, UNANSWERED_MESSAGE
from utils.tokenizer import install_gpt2_bpe_files

ROOT = Path(__file__).resolve().parent.parent

# Los notebooks del curso, buscados en un solo sitio (el mismo que usa tools.colab para sellarlos).
# Las pruebas los importan así: from conftest import NOTEBOOKS, notebook_id
NOTEBOOKS = notebook_paths(ROOT)


def notebook_id(path, root=ROOT):
    """Devuelve la ruta de un notebook relativa a la raíz, con /: el id de las pruebas parametrizadas."""
    return Path(path).relative_to(root).as_posix()


def block_network(patch=setattr):
    """Corta la red del proceso: conectar, crear una conexión o resolver un nombre lanza OSError.

    Parámetros:
        patch: cómo se sustituye cada función (setattr, o monkeypatch.setattr para deshacerlo al final).
    """
    import socket

    def sin_red(*args, **kwargs):
        raise OSError("red desactivada en esta prueba")

    patch(socket.socket, "connect", sin_red)
    patch(socket, "create_connection", sin_red)
    patch(socket, "getaddrinfo", sin_red)


# El mismo corte de red como código, para ponerlo al principio de un proceso hijo (python -c ...).
NO_NETWORK_CODE = inspect.getsource(block_network) + "\nblock_network()\n"


@pytest.fixture
def no_network(monkeypatch):
    """Corta la red durante la prueba (y la devuelve al terminar)."""
    block_network(monkeypatch.setattr)


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
    """Configuración diminuta para pruebas rápidas (sin dropout, para que sean deterministas): la misma
    CHECK_CFG con la que las comprobaciones de las lecciones prueban los modelos, copiada para cada prueba."""
    return dict(CHECK_CFG)


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


# python curso.py de verdad, como lo ejecuta el alumno (tests/test_curso.py y tests/test_navegador.py).

def free_port():
    """Devuelve un puerto TCP libre ahora en 127.0.0.1 (otro proceso puede ocuparlo antes de que se use)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_lab(server, base, token, log_path, start_s):
    """Espera a que JupyterLab responda; devuelve False si no pudo abrir el puerto (ocupado por otro)."""
    deadline = time.monotonic() + start_s
    while True:
        if server.poll() is not None:
            log = log_path.read_text(errors="replace")
            if "already in use" in log:
                return False
            pytest.fail(f"python curso.py terminó al arrancar:\n{log[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:  # todavía no escucha (urllib.error.URLError también es un OSError)
            pass
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"JupyterLab no respondió en {start_s} s:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.25)


@contextlib.contextmanager
def running_course(curso_py, tmp, extra_args=(), start_s=180, attempts=5):
    """Ejecuta python curso.py --no-browser como el alumno, con un puerto libre y un token, y lo para al salir.

    El servidor no ve la configuración personal de Jupyter ni lo que ponen las pruebas (la caché del tokenizador,
    MPLBACKEND): sus carpetas de configuración, ajustes, espacios de trabajo y ejecución están en tmp.

    Parámetros:
        curso_py: la ruta de curso.py (la del repositorio o la de una copia).
        tmp: la carpeta de la prueba: desde ella se ejecuta, con las carpetas de Jupyter y el registro curso.log.
        extra_args: más opciones de JupyterLab.
        start_s: cuánto puede tardar JupyterLab en responder (2 núcleos compartidos pueden tardar).
        attempts: cuántos puertos se prueban: uno libre puede ocuparse antes de que JupyterLab lo abra.

    Devuelve (al entrar):
        {"base": "http://127.0.0.1:<puerto>", "token", "pid", "segundos" (lo que tardó en responder), "log"}.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", "MPLBACKEND")}
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "ajustes"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "espacios"),
    })
    token = secrets.token_hex(16)
    log_path = tmp / "curso.log"
    for _ in range(attempts):
        port = free_port()
        command = [sys.executable, str(curso_py), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", *extra_args]
        with open(log_path, "wb") as log:
            server = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        if _wait_for_lab(server, base, token, log_path, start_s):
            break
    else:
        pytest.fail(f"{attempts} puertos seguidos estaban ocupados al arrancar JupyterLab")
    try:
        yield {"base": base, "token": token, "pid": server.pid, "segundos": time.monotonic() - start, "log": log_path}
    finally:
        server.terminate()  # Jupyter Server apaga sus kernels al recibir SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Las preguntas «¿Lo has entendido?» de las lecciones (tests/test_lesson*.py): lo que toda pregunta cumple.
# Las pruebas las usan así: from conftest import assert_verdicts, assert_hint, assert_questions_in_notebook

def assert_verdicts(evaluate, right, wrong_answers):
    """Cada forma de la respuesta correcta da «correct»; cada error, «wrong»; None, el aviso de sin responder.

    Parámetros:
        evaluate: la función evaluate_* de la pregunta.
        right: respuestas correctas escritas de varias formas.
        wrong_answers: respuestas equivocadas (también las que no se pueden leer).
    """
    for answer in right:
        assert evaluate(answer).status == "correct", answer
    for answer in wrong_answers:
        assert evaluate(answer).status == "wrong", answer
    verdict = evaluate(None)
    assert verdict.status == "unanswered" and verdict.message == UNANSWERED_MESSAGE


def assert_hint(evaluate, answer, hint):
    """La respuesta equivocada answer recibe una pista que contiene hint."""
    verdict = evaluate(answer)
    assert verdict.status == "wrong" and hint in verdict.message, verdict.message


def assert_questions_in_notebook(number, module):
    """Cada evaluate_* de module se usa una vez en el notebook number, en una celda show(...) tras otra que
    empieza por `respuesta = None`, y la salida guardada es el aviso de «sin responder» (Ejecutar todo nunca
    falla por una pregunta)."""
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    defined = {name for name in dir(module) if name.startswith("evaluate_")}
    used = []
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        match = re.fullmatch(rf"show\(lesson{number}\.(evaluate_\w+)\(respuesta\)\)", source.strip())
        if cell["cell_type"] != "code" or not match:
            continue
        used.append(match.group(1))
        assert "".join(cells[i - 1]["source"]).startswith("respuesta = None"), f"celda {i}: falta la respuesta"
        text = "".join("".join(output.get("text", [])) for output in cell["outputs"])
        assert UNANSWERED_MESSAGE in text, f"celda {i}: la salida guardada no es el aviso de sin responder"
    assert sorted(used) == sorted(defined)
