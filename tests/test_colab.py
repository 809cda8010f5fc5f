"""Google Colab: la celda de preparación, el botón «Abrir en Colab» y las copias de colab/.

La celda se prueba simulando Colab de verdad: un módulo google.colab falso, un clon local del propio
repositorio en lugar de GitHub, pip sin índice (los paquetes ya están instalados, así que pip solo
comprueba requirements-colab.txt), la red cortada y un paquete `utils` ajeno por delante en sys.path
(como el que hay en PyPI con ese nombre).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import NO_NETWORK_CODE, NOTEBOOKS, ROOT, notebook_id

import tools.colab as colab
from tools.colab import (
    SETUP_METADATA,
    SETUP_NOTE,
    badge_markdown,
    colab_notebook,
    colab_url,
    expected_files,
    github_repo,
    is_setup_cell,
    is_setup_note,
    setup_cell_source,
    stamp_notebook,
    update_links,
)

EVERY_EFFORT_IDS = [6109, 3626, 6100, 345]  # "Every effort moves you" en el tokenizador de GPT-2

# Ejecuta la celda en un proceso nuevo, con google.colab simulado si se pide, la red cortada, la caché de
# tiktoken vacía y un paquete `utils` ajeno primero en sys.path; después usa tiktoken, que debe ir sin red.
RUN_CELL = NO_NETWORK_CODE + textwrap.dedent(
    """
    import json, sys, types
    if sys.argv[2] == "colab":
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    sys.path.insert(0, sys.argv[4])  # allí hay un utils/__init__.py que no es el del curso
    source = open(sys.argv[1], encoding="utf-8").read()
    for _ in range(int(sys.argv[3])):
        exec(compile(source, "celda", "exec"), {"__name__": "__main__"})
    import tiktoken, utils
    ids = tiktoken.get_encoding("gpt2").encode("Every effort moves you")
    print("RESULTADO " + json.dumps({"utils": utils.__file__, "ids": ids}))
    """
)


def _run_cell(tmp_path, source, mode, cwd, times=1):
    cell = tmp_path / "celda.py"
    cell.write_text(source, encoding="utf-8")
    decoy = tmp_path / "otro-utils"  # el paquete `utils` de PyPI, que no tiene nada del curso
    (decoy / "utils").mkdir(parents=True, exist_ok=True)
    (decoy / "utils" / "__init__.py").write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "cache-vacia"),  # tiktoken no tiene nada guardado
        "PIP_NO_INDEX": "1",  # pip no sale a la red: solo comprueba lo ya instalado
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    return subprocess.run([sys.executable, "-c", RUN_CELL, str(cell), mode, str(times), str(decoy)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _result(completed):
    assert completed.returncode == 0, completed.stdout + completed.stderr
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULTADO "))
    return json.loads(line.removeprefix("RESULTADO ")), completed.stdout.replace(line, "").strip()


@pytest.mark.slow
def test_en_colab_la_celda_clona_instala_y_tiktoken_va_sin_red(tmp_path, missing_tool):
    """Con google.colab presente, la celda clona el repositorio, instala requirements-colab.txt y hace
    importable `utils` desde el clon (antes que otro `utils`), con el tokenizador listo sin red; ejecutada
    dos veces, no vuelve a clonar (un segundo git clone sobre la carpeta fallaría)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        missing_tool("Hace falta git y un clon del repositorio para simular Colab.")
    origin = tmp_path / "origen"  # hace de GitHub: un clon con una rama propia para la prueba
    # safe.directory: en CI, root clona un checkout que puede ser de otro usuario ("dubious ownership")
    subprocess.run(["git", "-c", "safe.directory=*", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(origin)],
                   check=True)
    subprocess.run(["git", "-C", str(origin), "checkout", "--quiet", "-B", "prueba-colab"], check=True)
    content = tmp_path / "content" / "gpt-desde-cero"
    source = setup_cell_source(repo_url=origin.as_uri(), branch="prueba-colab", colab_dir=str(content))
    workdir = tmp_path / "trabajo"  # como /content: fuera de cualquier copia del curso
    workdir.mkdir()

    result, _ = _result(_run_cell(tmp_path, source, "colab", workdir, times=2))

    assert Path(result["utils"]).resolve().is_relative_to(content.resolve()), result["utils"]
    assert result["ids"] == EVERY_EFFORT_IDS
    head = subprocess.run(["git", "-C", str(content), "rev-parse", "--abbrev-ref", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert head == "prueba-colab"


def test_en_local_la_celda_no_imprime_nada_ni_clona(tmp_path):
    """Fuera de Colab, la celda solo hace importable `utils` del repositorio (antes que otro `utils`):
    ni imprime ni clona."""
    content = tmp_path / "content"
    source = setup_cell_source(colab_dir=str(content))
    completed = _run_cell(tmp_path, source, "local", ROOT / "notebooks")
    result, rest = _result(completed)
    assert rest == "" and completed.stderr == "", completed.stdout + completed.stderr
    assert Path(result["utils"]).resolve().is_relative_to(ROOT), result["utils"]
    assert result["ids"] == EVERY_EFFORT_IDS
    assert not content.exists()


def test_la_celda_no_deja_un_valor_que_jupyter_mostraria(monkeypatch):
    """Ejecutada por IPython, como en Jupyter, la celda no deja ningún valor que mostrar bajo ella."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setattr(sys, "path", list(sys.path))  # la celda añade la raíz; se deshace al terminar
    shell = InteractiveShell()
    result = shell.run_cell(setup_cell_source())
    assert result.success, result.error_in_exec
    assert result.result is None, repr(result.result)


def test_fuera_del_curso_la_celda_explica_el_problema_en_espanol(tmp_path):
    """Abierta lejos del repositorio (y fuera de Colab), la celda dice qué pasa y qué hacer."""
    completed = _run_cell(tmp_path, setup_cell_source(), "local", tmp_path)
    assert completed.returncode != 0
    assert "No encuentro la carpeta del curso" in completed.stderr


def test_requirements_colab_solo_trae_lo_que_falta_con_las_mismas_versiones():
    """requirements-colab.txt fija las mismas versiones que requirements.txt y no reinstala lo que Colab ya trae."""
    def pins(name):
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        return dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))

    colab_pins, all_pins = pins("requirements-colab.txt"), pins("requirements.txt")
    assert colab_pins, "requirements-colab.txt está vacío"
    for package, version in colab_pins.items():
        assert all_pins.get(package) == version, f"{package}=={version} no coincide con requirements.txt"
    preinstalled = {"torch", "numpy", "matplotlib", "transformers", "safetensors", "huggingface_hub"}
    assert not preinstalled & set(colab_pins), "Colab ya trae estos paquetes; reinstalarlos solo cuesta minutos"


def test_la_celda_es_corta_y_empieza_por_su_titulo_de_formulario():
    """La celda cabe de un vistazo (como mucho 20 líneas) y su primera línea es el #@title que Colab
    convierte en un formulario plegado."""
    lines = setup_cell_source().splitlines()
    assert len(lines) <= 20, f"La celda de preparación tiene {len(lines)} líneas"
    assert lines[0].startswith("#@title ") and 'display-mode: "form"' in lines[0]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[notebook_id(p) for p in NOTEBOOKS])
def test_el_notebook_tiene_la_celda_de_preparacion_al_dia(nb_path):
    """La primera celda de código es la de preparación, idéntica a setup_cell_source(), plegada en
    JupyterLab y en Colab, sin salidas y precedida de la frase que dice qué hace."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert code and is_setup_cell(code[0]), f"{nb_path.name}: la primera celda de código no es la de preparación"
    assert "".join(code[0]["source"]) == setup_cell_source(), (
        f"{nb_path.name}: la celda de preparación no está al día; ejecuta python -m tools.colab")
    assert code[0]["outputs"] == [], f"{nb_path.name}: la celda de preparación imprime algo en local"
    metadata = code[0]["metadata"]
    assert {key: metadata.get(key) for key in SETUP_METADATA} == SETUP_METADATA, (
        f"{nb_path.name}: la celda de preparación no está plegada; ejecuta python -m tools.colab")
    assert sum(is_setup_cell(cell) for cell in nb["cells"]) == 1
    before = nb["cells"][nb["cells"].index(code[0]) - 1]
    assert is_setup_note(before) and "".join(before["source"]) == SETUP_NOTE, (
        f"{nb_path.name}: falta la frase que explica la celda de preparación; ejecuta python -m tools.colab")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[notebook_id(p) for p in NOTEBOOKS])
def test_el_notebook_tiene_su_boton_de_colab_bajo_el_titulo(nb_path):
    """Justo debajo del título está el botón «Abrir en Colab» que abre la copia de este mismo notebook."""
    relpath = nb_path.relative_to(ROOT).as_posix()
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    lines = "".join(nb["cells"][0]["source"]).splitlines()
    assert lines[0].startswith("# "), f"{relpath}: la primera celda no empieza por el título"
    assert lines[1:3] == ["", badge_markdown(relpath)], (
        f"{relpath}: falta el botón de Colab bajo el título o apunta a otro sitio; ejecuta python -m tools.colab")


def test_las_copias_para_colab_estan_al_dia():
    """colab/ tiene exactamente una copia al día de cada notebook (python -m tools.colab las regenera)."""
    expected = expected_files(ROOT)
    stale = [p.relative_to(ROOT).as_posix() for p, text in expected.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    extra = [p.relative_to(ROOT).as_posix() for p in (ROOT / "colab").rglob("*.ipynb") if p not in expected]
    assert not stale and not extra, (
        f"Desfasados: {stale}; sobrantes: {extra}. Ejecuta python -m tools.colab y haz commit.")


def test_las_copias_para_colab_no_tienen_rutas_relativas():
    """En las copias de colab/, toda imagen apunta a una dirección absoluta (Colab no resuelve las relativas)."""
    problems = []
    for path in sorted((ROOT / "colab").rglob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                srcs = re.findall(r'<img[^>]*src="([^"]+)"', text) + re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text)
                problems += [f"{path.name}: {src}" for src in srcs if not src.startswith("https://")]
    assert not problems, "\n".join(problems)


def _toy_notebook(first_markdown, setup=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(first_markdown)]
    if setup is not None:
        nb.cells.append(nbformat.v4.new_code_cell(setup))
    nb.cells += [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell("## Resumen")]
    return nb


def test_sellar_pone_boton_y_celda_sin_tocar_lo_demas_y_es_idempotente():
    """Sellar un notebook con una celda de preparación antigua la sustituye (no la duplica), la pliega, pone
    delante la frase que la explica y el botón bajo el título, y deja igual las demás celdas; sellar otra
    vez no cambia nada."""
    old_setup = colab._SETUP_FIRST_LINES[-1] + "\nprint('versión antigua')"
    nb = _toy_notebook("# Título\n\nPrimer párrafo.", setup=old_setup)
    nb.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    others = [nb.cells[2].source, nb.cells[3].source]
    stamp_notebook(nb, "notebooks/9_prueba.ipynb")
    once = nbformat.writes(nb)
    stamp_notebook(nb, "notebooks/9_prueba.ipynb")
    assert nbformat.writes(nb) == once
    assert nb.cells[0].source == "# Título\n\n" + badge_markdown("notebooks/9_prueba.ipynb") + "\n\nPrimer párrafo."
    assert nb.cells[1].source == SETUP_NOTE
    assert nb.cells[2].source == setup_cell_source()
    assert nb.cells[2].metadata == SETUP_METADATA  # plegada; ya no lleva la etiqueta: no imprime nada
    assert [nb.cells[3].source, nb.cells[4].source] == others
    assert len(nb.cells) == 5


def test_sellar_anade_la_celda_de_preparacion_si_falta():
    """Si el notebook no tiene celda de preparación, sellarlo la inserta justo después del título, con su frase."""
    nb = _toy_notebook("# Título")
    stamp_notebook(nb, "notebooks/extra/prueba.ipynb")
    assert [nb.cells[1].source, nb.cells[2].source] == [SETUP_NOTE, setup_cell_source()]
    assert colab_url("notebooks/extra/prueba.ipynb") in nb.cells[0].source


def test_la_copia_para_colab_reescribe_imagenes_y_enlaces():
    """En la copia, las imágenes relativas van a raw.githubusercontent, los notebooks a su copia en Colab,
    los demás ficheros a GitHub; lo absoluto y las anclas no cambian."""
    md = ('# T\n\n<img src="../../imgs/a.png" alt="a" width="700">\n![b](../../imgs/b.png "título")\n'
          "[siguiente](./otro.ipynb#seccion) [código](../../utils/gpt.py) [fuera](https://example.org/x.png) "
          "[ancla](#resumen)")
    copy = colab_notebook(_toy_notebook(md), "notebooks/extra/x.ipynb", repo_url="https://github.com/ana/curso",
                          branch="dev")
    text = copy.cells[0].source
    raw = "https://raw.githubusercontent.com/ana/curso/dev/imgs/"
    assert f'<img src="{raw}a.png" alt="a" width="700">' in text
    assert f'![b]({raw}b.png "título")' in text
    assert ("(https://colab.research.google.com/github/ana/curso/blob/dev/colab/notebooks/extra/otro.ipynb#seccion)"
            in text)
    assert "(https://github.com/ana/curso/blob/dev/utils/gpt.py)" in text
    assert "(https://example.org/x.png)" in text and "(#resumen)" in text


def test_los_enlaces_del_readme_pasan_al_fork():
    """update_links apunta los enlaces de Colab a la copia del repositorio configurado y cambia la URL antigua."""
    old = "https://github.com/gpt-desde-cero/gpt-desde-cero"
    text = (f"git clone {old}\n[![Abrir en Colab]({colab.BADGE_IMAGE})]"
            "(https://colab.research.google.com/github/gpt-desde-cero/gpt-desde-cero/blob/main/notebooks/1_a.ipynb)")
    new = update_links(text, repo_url="https://github.com/profe/curso", branch="2027", old_repos=[old])
    assert "git clone https://github.com/profe/curso\n" in new
    assert "(https://colab.research.google.com/github/profe/curso/blob/2027/colab/notebooks/1_a.ipynb)" in new
    assert "gpt-desde-cero/gpt-desde-cero" not in new


def test_repo_url_tiene_que_ser_de_github():
    """Colab solo abre notebooks de GitHub: otra URL da un error que dice la forma correcta."""
    assert github_repo("https://github.com/ana/curso.git") == ("ana", "curso")
    with pytest.raises(ValueError, match="https://github.com/<usuario>/<repositorio>"):
        github_repo("https://gitlab.com/ana/curso")


def test_el_readme_tiene_un_boton_de_colab_por_notebook():
    """Cada notebook tiene en README.md su enlace «Abrir en Colab», al repositorio configurado."""
    readme = ROOT / "README.md"
    assert readme.is_file(), "Falta README.md"
    text = readme.read_text(encoding="utf-8")
    relpaths = [notebook_id(p) for p in NOTEBOOKS]
    missing = [relpath for relpath in relpaths if colab_url(relpath) not in text]
    assert not missing, f"README.md sin enlace de Colab para: {missing}; usa tools.colab.badge_markdown(ruta)"
    assert update_links(text) == text, "Hay enlaces de Colab desfasados en README.md; ejecuta python -m tools.colab"
