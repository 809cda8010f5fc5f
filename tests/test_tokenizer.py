"""El tokenizador gpt2 de tiktoken funciona sin red tras preparar la caché."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Un proceso nuevo (tiktoken guarda los codificadores en memoria) con la red cortada de verdad.
SIN_RED = textwrap.dedent(
    """
    import socket
    def _sin_red(*args, **kwargs):
        raise OSError("red desactivada en esta prueba")
    socket.socket.connect = _sin_red
    socket.create_connection = _sin_red
    socket.getaddrinfo = _sin_red
    import sys
    sys.path.insert(0, sys.argv[1])
    {body}
    """
)


def _run(body, cache_dir, variable="TIKTOKEN_CACHE_DIR"):
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    env[variable] = str(cache_dir)
    code = SIN_RED.format(body=textwrap.dedent(body).strip())
    return subprocess.run([sys.executable, "-c", code, str(ROOT)], env=env, capture_output=True, text=True)


def test_sin_caché_y_sin_red_tiktoken_falla(tmp_path):
    """Control: con la caché vacía y sin red, tiktoken no puede cargar gpt2 (la prueba corta la red)."""
    result = _run('import tiktoken; tiktoken.get_encoding("gpt2")', tmp_path / "vacia")
    assert result.returncode != 0


def test_get_encoding_gpt2_sin_red(tmp_path):
    """Tras install_gpt2_bpe_files, tiktoken.get_encoding('gpt2') funciona sin red y codifica bien."""
    body = """
    from utils.tokenizer import install_gpt2_bpe_files
    install_gpt2_bpe_files()
    import tiktoken
    enc = tiktoken.get_encoding("gpt2")
    assert enc.encode("Every effort moves you") == [6109, 3626, 6100, 345], enc.encode("Every effort moves you")
    assert enc.n_vocab == 50257
    print("ok")
    """
    result = _run(body, tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_orden_de_una_linea_sin_red(tmp_path):
    """La orden documentada en el README, python -m utils.tokenizer, prepara la caché."""
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "c")}
    done = subprocess.run([sys.executable, "-m", "utils.tokenizer"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = _run('import tiktoken; print(tiktoken.get_encoding("gpt2").decode([15496]))', tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello"


def test_repara_un_fichero_dañado(tmp_path):
    """Si la caché tiene un fichero corrupto, se sustituye por la copia buena."""
    import hashlib

    from utils.tokenizer import GPT2_BPE_FILES, install_gpt2_bpe_files

    install_gpt2_bpe_files(tmp_path)
    url, sha = GPT2_BPE_FILES["vocab.bpe"]
    target = tmp_path / hashlib.sha1(url.encode()).hexdigest()
    target.write_bytes(b"basura")
    install_gpt2_bpe_files(tmp_path)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_respeta_data_gym_cache_dir_como_tiktoken(tmp_path):
    """Sin TIKTOKEN_CACHE_DIR, la caché va a DATA_GYM_CACHE_DIR, que es donde tiktoken la busca."""
    body = """
    from utils.tokenizer import install_gpt2_bpe_files
    install_gpt2_bpe_files()
    import tiktoken
    print(tiktoken.get_encoding("gpt2").decode([15496]))
    """
    result = _run(body, tmp_path / "dg", variable="DATA_GYM_CACHE_DIR")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello"
    assert len(list((tmp_path / "dg").iterdir())) == 2


def test_caché_vacía_da_un_error_que_explica_el_arreglo(monkeypatch):
    """TIKTOKEN_CACHE_DIR="" desactiva la caché de tiktoken: se dice en español y cómo arreglarlo."""
    from utils.tokenizer import install_gpt2_bpe_files

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(ValueError, match="TIKTOKEN_CACHE_DIR está vacío.*bórralo o apúntalo a una carpeta"):
        install_gpt2_bpe_files()
