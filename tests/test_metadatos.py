"""Abrir un notebook no lo modifica, y sus salidas guardadas no dicen nada de la máquina que las ejecutó.

1. Metadatos: JupyterLab, al abrir un notebook, escribe el kernelspec instalado y el language_info del
   kernel; si lo guardado difiere, el notebook queda modificado sin que el alumno toque nada y el
   autoguardado lo reescribe. Se arregla con python -m tools.metadatos (después de reejecutar los notebooks).
2. Rutas: ninguna salida guardada (de notebooks/ ni de colab/) contiene una ruta absoluta (/home/..., el
   entorno virtual, site-packages...) ni el nombre del usuario que la ejecutó.
"""

import getpass
import json
import re
import shutil
from pathlib import Path

import pytest

from tools.metadatos import dumps, expected_metadata, main, metadata_problems, normalize, notebook_files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in notebook_files(ROOT)]


@pytest.fixture(scope="module")
def esperados():
    return expected_metadata()


def _nb(ruta):
    return json.loads((ROOT / ruta).read_text(encoding="utf-8"))


def test_hay_notebooks():
    """Control: la lista de notebooks no está vacía (si lo estuviera, las pruebas de abajo no probarían nada)."""
    assert len([r for r in NOTEBOOKS if r.startswith("notebooks/")]) >= 8, NOTEBOOKS


@pytest.mark.parametrize("ruta", NOTEBOOKS)
def test_metadatos_como_los_escribe_jupyterlab(ruta, esperados):
    """kernelspec y language_info son los que JupyterLab escribiría al abrir el notebook con el kernel del curso
    (de la versión de Python basta con que coincidan mayor y menor: con otra, JupyterLab la cambia igualmente)."""
    problemas = metadata_problems(_nb(ruta).get("metadata", {}), esperados, exact_version=False)
    assert not problemas, (f"{ruta}: abrirlo en JupyterLab lo modificaría:\n  " + "\n  ".join(problemas)
                           + "\nArréglalo con: python -m tools.metadatos")


def test_los_metadatos_esperados_son_los_del_kernel_de_verdad(esperados):
    """Lo que pone tools.metadatos es lo que responde un kernel python3 recién arrancado (su language_info) y
    lo que dice su kernelspec instalado (display_name "Python 3 (ipykernel)")."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.kernel_info(reply=True, timeout=60)
        assert reply["content"]["language_info"] == esperados["language_info"]
        assert esperados["kernelspec"]["display_name"] == km.kernel_spec.display_name == "Python 3 (ipykernel)"
        assert esperados["kernelspec"]["language"] == km.kernel_spec.language == "python"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_metadata_problems_detecta_el_kernelspec_antiguo(esperados):
    """Control: con "Python 3" (lo que había antes) la comprobación falla y dice qué escribe JupyterLab."""
    viejos = json.loads(json.dumps(esperados))
    viejos["kernelspec"]["display_name"] = "Python 3"
    problemas = metadata_problems(viejos, esperados)
    assert len(problemas) == 1 and '"Python 3 (ipykernel)"' in problemas[0]


def test_metadata_problems_y_la_versión_de_python(esperados):
    """Otra versión menor (3.10) siempre es un problema; otro parche (3.11.x) solo con exact_version."""
    meta = json.loads(json.dumps(esperados))
    mayor, menor, *_ = meta["language_info"]["version"].split(".")
    meta["language_info"]["version"] = f"{mayor}.{menor}.999"
    assert metadata_problems(meta, esperados, exact_version=False) == []
    assert len(metadata_problems(meta, esperados)) == 1
    meta["language_info"]["version"] = f"{mayor}.{int(menor) - 1}.0"
    assert len(metadata_problems(meta, esperados, exact_version=False)) == 1


def test_normalize_solo_cambia_los_metadatos(tmp_path, esperados):
    """tools.metadatos en una copia: cambia solo la línea del kernelspec, conserva el resto byte a byte
    (también otras claves de metadatos) y una segunda pasada no cambia nada."""
    original = ROOT / NOTEBOOKS[0]
    nb = json.loads(original.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3"
    nb["metadata"]["otra_clave"] = {"se": "conserva"}
    copia = tmp_path / "copia.ipynb"
    copia.write_text(dumps(nb), encoding="utf-8")
    antes = copia.read_text(encoding="utf-8").splitlines()
    assert normalize(copia, esperados) is True
    despues = copia.read_text(encoding="utf-8").splitlines()
    cambios = [(a, d) for a, d in zip(antes, despues, strict=True) if a != d]
    assert ('   "display_name": "Python 3",', '   "display_name": "Python 3 (ipykernel)",') in cambios
    # La versión de Python cambia además si quien prueba tiene otra que la de quien ejecutó el notebook.
    assert all('"display_name"' in a or '"version"' in a for a, _ in cambios), cambios
    assert json.loads(copia.read_text(encoding="utf-8"))["metadata"]["otra_clave"] == {"se": "conserva"}
    assert normalize(copia, esperados) is False


def test_la_orden_check_falla_y_la_normal_lo_arregla(tmp_path, capsys):
    """python -m tools.metadatos --check termina con 1 y nombra el notebook; sin --check lo arregla y después
    --check termina con 0."""
    copia = tmp_path / "nb.ipynb"
    shutil.copy(ROOT / NOTEBOOKS[0], copia)
    nb = json.loads(copia.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3"
    copia.write_text(dumps(nb), encoding="utf-8")
    assert main(["--check", str(copia)]) == 1
    assert str(copia) in capsys.readouterr().out
    assert main([str(copia)]) == 0
    assert main(["--check", str(copia)]) == 0


# ----------------------------------------------------------------------------- rutas en las salidas

# Rutas absolutas de una máquina concreta: carpetas personales y temporales, entornos virtuales y paquetes.
RUTA_ABSOLUTA = re.compile(
    r"(/work/|/home/|/root/|/tmp/|/Users/|/private/var/|/var/folders/|[A-Za-z]:\\{1,2}Users\\"
    r"|site-packages|dist-packages|/usr/lib/python|/usr/local/lib/python|/opt/conda/|/content/)",
    re.IGNORECASE)


def _textos_de_salida(nb):
    """Devuelve (celda, texto) de cada salida de texto guardada: flujos, errores y datos que no son imágenes."""
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            textos = []
            if "text" in output:
                textos.append("".join(output["text"]))
            textos += output.get("traceback", [])
            if "evalue" in output:
                textos.append(output["evalue"])
            for mime, valor in output.get("data", {}).items():
                if mime.startswith("image/") and not mime.startswith("image/svg"):
                    continue  # base64
                textos.append(valor if isinstance(valor, str) else
                              "".join(valor) if isinstance(valor, list) else json.dumps(valor))
            for texto in textos:
                yield i, texto


def _rutas_delatoras(nb, usuario=None):
    """Devuelve una descripción de cada salida con una ruta absoluta o el nombre del usuario."""
    usuario = getpass.getuser() if usuario is None else usuario
    nombre = (re.compile(rf"(?<![\w-]){re.escape(usuario)}(?![\w-])", re.IGNORECASE)
              if usuario and usuario.lower() != "root" and len(usuario) >= 3 else None)
    hallazgos = []
    for i, texto in _textos_de_salida(nb):
        for patron in (RUTA_ABSOLUTA, nombre):
            m = patron.search(texto) if patron else None
            if m:
                hallazgos.append(f"celda {i}: …{texto[max(0, m.start() - 40):m.end() + 40]!r}…")
    return hallazgos


@pytest.mark.parametrize("ruta", NOTEBOOKS)
def test_ninguna_salida_guarda_rutas_de_la_maquina(ruta):
    """Las salidas guardadas no contienen rutas absolutas ni el nombre del usuario que las ejecutó (una traza que
    pasa por el entorno virtual o por utils/, un aviso de un paquete...)."""
    hallazgos = _rutas_delatoras(_nb(ruta))
    assert not hallazgos, f"{ruta}:\n" + "\n".join(hallazgos)


def test_control_las_rutas_se_detectan():
    """Control: una traza por el entorno virtual, una ruta de Windows, una de macOS y el nombre de usuario se
    detectan; una ruta relativa (../imgs/x.png) y un texto normal no."""
    def nb(*textos):
        return {"cells": [{"cell_type": "code", "outputs": [
            {"output_type": "stream", "name": "stderr", "text": [t]} for t in textos]}]}

    assert _rutas_delatoras(nb("File /opt/venv/lib/python3.11/site-packages/torch/nn/modules/module.py:1"))
    assert _rutas_delatoras(nb(r"C:\Users\ana\curso\utils\gpt.py"))
    assert _rutas_delatoras(nb("/Users/ana/curso/utils/gpt.py"))
    assert _rutas_delatoras(nb("guardado por anagarcia en su equipo"), usuario="anagarcia")
    assert not _rutas_delatoras(nb("ver ../imgs/1_etapas_llm.png", "logits: tensor([[0.1234]])"), usuario="anagarcia")
    error = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": ["File /home/ana/utils/gpt.py"]}]}]}
    assert _rutas_delatoras(error)
