"""python curso.py: la orden que el README da al alumno abre JupyterLab donde se ven notebooks y figuras.

Las pruebas rápidas miran la orden que construye curso.lab_command (la única que hay) y lo que main hace
con las opciones; la prueba de arranque ejecuta python curso.py de verdad, como el alumno, y pide por HTTP
cada figura que enlazan los notebooks (la prueba en un navegador real está en test_navegador.py).
"""

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import running_course

import curso

ROOT = Path(__file__).resolve().parent.parent


def _opciones(command):
    """Las opciones de JupyterLab de una orden, como diccionario {"--Clase.opcion": valor}."""
    assert command[1:4] == ["-m", "jupyter", "lab"], command
    return dict(arg.split("=", 1) if "=" in arg else (arg, None) for arg in command[4:])


def test_lab_command_sirve_la_raíz_del_curso_y_abre_notebooks():
    """La raíz que sirve JupyterLab es la del repositorio (están notebooks/ e imgs/) y la página de inicio es
    la carpeta notebooks/; no hay argumentos sueltos, que Jupyter tomaría como raíz (el fallo de antes)."""
    command = curso.lab_command()
    opciones = _opciones(command)
    raiz = Path(opciones["--ServerApp.root_dir"])
    assert raiz == ROOT and (raiz / "notebooks").is_dir() and (raiz / "imgs").is_dir()
    assert opciones["--LabApp.default_url"] == "/lab/tree/notebooks"
    assert Path(opciones["--LabApp.app_settings_dir"]) == ROOT / "jupyter"
    assert all(arg.startswith("--") for arg in command[4:]), f"argumento suelto en {command}"


def test_lab_command_añade_las_opciones_del_alumno_al_final():
    """Las opciones extra (un puerto, --no-browser) van al final, así que mandan sobre las del curso."""
    command = curso.lab_command(["--port=8890", "--no-browser"])
    assert command[-2:] == ["--port=8890", "--no-browser"]


@pytest.fixture
def sin_instalar(monkeypatch):
    """main sin instalar nada ni abrir nada: apunta qué orden habría ejecutado y con qué entorno."""
    llamadas = []
    monkeypatch.setattr(curso, "install", lambda: llamadas.append("install"))
    monkeypatch.setattr(curso, "prepare_tokenizer", lambda env: llamadas.append(("tokenizer", env)))
    monkeypatch.setattr(curso.os, "chdir", lambda path: None)
    monkeypatch.setattr(curso.os, "execve", lambda exe, command, env: llamadas.append(("execve", command, env)))
    monkeypatch.setattr(curso.subprocess, "run",
                        lambda command, **kw: llamadas.append(("run", command, kw["env"])) or
                        subprocess.CompletedProcess(command, 0))
    return llamadas


def test_main_pasa_las_opciones_a_jupyterlab(sin_instalar):
    """python curso.py --port 8890 --no-browser abre JupyterLab con la orden del curso y esas opciones."""
    curso.main(["--port", "8890", "--no-browser"])
    assert sin_instalar[0] == "install"
    _, command, env = sin_instalar[-1]
    assert command == curso.lab_command(["--port", "8890", "--no-browser"])


def test_jupyterlab_y_pytest_reciben_la_caché_del_tokenizador(sin_instalar, monkeypatch):
    """JupyterLab (y sus kernels) y pytest reciben TIKTOKEN_CACHE_DIR apuntando a la caché del curso, la misma
    que se acaba de preparar."""
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    curso.main([])
    with pytest.raises(SystemExit):
        curso.main(["pruebas", "-q"])
    tokenizador = [c[1] for c in sin_instalar if c[0] == "tokenizer"]
    lanzadas = [c for c in sin_instalar if c[0] in ("execve", "run")]
    assert [c[1][1:4] for c in lanzadas] == [["-m", "jupyter", "lab"], ["-m", "pytest", "-q"]]
    for env in tokenizador + [c[2] for c in lanzadas]:
        assert env["TIKTOKEN_CACHE_DIR"] == str(ROOT / ".cache" / "tiktoken")


def test_respeta_tu_tiktoken_cache_dir(monkeypatch):
    """Si ya tienes TIKTOKEN_CACHE_DIR, curso.py lo respeta."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/otra/cache")
    assert curso.course_env()["TIKTOKEN_CACHE_DIR"] == "/otra/cache"


def test_jupyterlab_y_pytest_reciben_la_espera_corta_de_openmp(sin_instalar, monkeypatch):
    """JupyterLab (y sus kernels) y pytest reciben GOMP_SPINCOUNT: con la CPU compartida, los hilos de PyTorch
    se duermen pronto en vez de gastar el turno esperando. Si ya elegiste cómo esperan, se respeta."""
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    curso.main([])
    with pytest.raises(SystemExit):
        curso.main(["pruebas", "-q"])
    lanzadas = [c for c in sin_instalar if c[0] in ("execve", "run")]
    assert len(lanzadas) == 2 and all(c[2]["GOMP_SPINCOUNT"] == curso.OPENMP_SPIN for c in lanzadas)
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert "GOMP_SPINCOUNT" not in curso.course_env()
    monkeypatch.setenv("GOMP_SPINCOUNT", "5")
    assert curso.course_env()["GOMP_SPINCOUNT"] == "5"


def test_ayuda_lista_las_opciones(capsys):
    """python curso.py --help explica las dos órdenes y las opciones de JupyterLab más útiles."""
    curso.main(["--help"])
    ayuda = capsys.readouterr().out
    for texto in ("python curso.py pruebas", "--port=8890", "--no-browser", "--ip=0.0.0.0", "--help-all"):
        assert texto in ayuda


@pytest.mark.parametrize("args", [["notebooks/"], ["--no-browser", "pruebas"]])
def test_argumentos_sueltos_se_rechazan_sin_instalar(args, sin_instalar, capsys):
    """Un argumento suelto (una carpeta, «pruebas» fuera de sitio) se rechaza antes de instalar nada: una
    carpeta pasaría a ser la raíz de JupyterLab y las figuras dejarían de verse."""
    with pytest.raises(SystemExit) as info:
        curso.main(args)
    assert info.value.code == 2  # un error de uso
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "python curso.py pruebas" in err
    assert sin_instalar == []


# ----------------------------------------------------------------------------- arranque real


def _get(url):
    """(estado, cabeceras, cuerpo) de un GET, sin seguir redirecciones."""

    class SinRedirecciones(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(SinRedirecciones)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, b""


def _figuras_enlazadas():
    """Cada (notebook, ruta en el servidor) de las imágenes locales que enlazan los notebooks."""
    figuras = []
    for nb_path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            texto = "".join(cell["source"])
            for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', texto) + re.findall(r"!\[[^\]]*\]\(([^)\s]+)", texto):
                if "://" in src or src.startswith("data:"):
                    continue
                destino = os.path.normpath(os.path.join(nb_path.parent.relative_to(ROOT).as_posix(), src))
                figuras.append((nb_path.relative_to(ROOT).as_posix(), Path(destino).as_posix()))
    return figuras


@pytest.fixture(scope="module")
def curso_abierto(tmp_path_factory):
    """python curso.py --no-browser ..., como lo ejecuta el alumno (más un puerto libre y un token)."""
    stamp = curso.VENV / ".requirements-instalados"
    requisitos = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != requisitos:
        pytest.skip("Falta .venv al día: ejecuta las pruebas con python curso.py pruebas.")
    with running_course(ROOT / "curso.py", tmp_path_factory.mktemp("curso")) as servidor:
        yield servidor


def test_curso_abre_la_carpeta_notebooks(curso_abierto):
    """La dirección que imprime python curso.py lleva a /lab/tree/notebooks."""
    estado, cabeceras, _ = _get(f"{curso_abierto['base']}/?token={curso_abierto['token']}")
    assert estado == 302
    assert urllib.parse.urlsplit(cabeceras["Location"]).path == "/lab/tree/notebooks"
    assert "/lab/tree/notebooks?token=" in curso_abierto["log"].read_text(errors="replace")


def test_curso_sirve_cada_figura_que_enlazan_los_notebooks(curso_abierto):
    """Cada imagen local que enlaza un notebook (../imgs/...) se sirve (200, PNG o SVG), y una que no existe
    da 404: así la comprobación puede fallar."""
    figuras = _figuras_enlazadas()
    assert len(figuras) >= 10, figuras

    def estado(ruta):
        code, cabeceras, _ = _get(f"{curso_abierto['base']}/files/{urllib.parse.quote(ruta)}"
                                  f"?token={curso_abierto['token']}")
        return code, cabeceras.get("Content-Type", "") if cabeceras else ""

    respuestas = {ruta: estado(ruta) for ruta in {ruta for _, ruta in figuras}}
    rotas = [(nb, ruta, respuestas[ruta]) for nb, ruta in sorted(set(figuras))
             if respuestas[ruta][0] != 200 or not respuestas[ruta][1].startswith("image/")]
    assert not rotas, "figuras que JupyterLab no sirve:\n" + "\n".join(map(str, rotas))
    assert estado("imgs/no_existe.png")[0] == 404


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="lee el entorno en /proc (Linux)")
def test_curso_da_a_jupyterlab_la_caché_del_tokenizador_ya_preparada(curso_abierto):
    """El JupyterLab que arranca curso.py (y así sus kernels) tiene TIKTOKEN_CACHE_DIR en la caché del curso,
    y allí están ya los dos ficheros BPE de GPT-2."""
    from utils.tokenizer import COURSE_CACHE_DIR, GPT2_BPE_FILES

    entorno = Path(f"/proc/{curso_abierto['pid']}/environ").read_bytes().split(b"\0")
    variables = dict(v.decode(errors="replace").split("=", 1) for v in entorno if b"=" in v)
    assert variables.get("TIKTOKEN_CACHE_DIR") == str(COURSE_CACHE_DIR)
    import hashlib

    for url, _ in GPT2_BPE_FILES.values():
        assert (COURSE_CACHE_DIR / hashlib.sha1(url.encode()).hexdigest()).is_file()


def test_curso_responde_pronto(curso_abierto):
    """python curso.py (ya instalado) responde en menos de 30 s en 2 núcleos: el README promete «unos segundos».

    Si la máquina está ocupada con otros trabajos (la carga media pasa del número de núcleos), el límite crece
    en proporción: lo que se comprueba es que curso.py no hace nada lento, no la compañía que tiene."""
    carga = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    limite = 30 * max(1.0, carga / (os.cpu_count() or 1))
    assert curso_abierto["segundos"] < limite, (f"tardó {curso_abierto['segundos']:.1f} s (límite {limite:.0f} s "
                                                f"con carga {carga:.1f})")


def test_pytest_dice_por_qué_se_salta_cada_prueba(tmp_path):
    """La salida normal de las pruebas (python curso.py pruebas) termina con cada prueba saltada y su motivo
    (-rs en addopts), para que quien empieza sepa qué no se probó y qué instalar."""
    prueba = tmp_path / "test_saltada.py"
    prueba.write_text('import pytest\n\n\ndef test_x():\n    pytest.skip("falta una herramienta de control")\n',
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
                           str(prueba)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    motivo = r"SKIPPED \[1\] .*test_saltada\.py:\d+: falta una herramienta de control"
    assert re.search(motivo, done.stdout), done.stdout
