"""Prueba en un navegador real: JupyterLab (en español) abre y ejecuta cada notebook sin errores.

Arranca JupyterLab con la misma orden que `python curso.py` (curso.lab_command) sobre una copia del
repositorio, abre cada notebook en Chromium sin ventana (Playwright con el Chromium de Debian, nunca uno
descargado), ejecuta todas sus celdas y falla si alguna salida es un error (salvo en las celdas con la
etiqueta raises-exception), si una imagen no carga o si el kernel muere. Deja una captura por notebook
en capturas/ y los tiempos en capturas/tiempos.tsv.

Sin Chromium o sin playwright se salta; en CI (CI=true), .ci/run los instala, así que allí falla.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import curso
from utils.colab import BADGE_IMAGE, notebook_paths

ROOT = Path(__file__).resolve().parent.parent
CAPTURAS = ROOT / "capturas"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # en CI se ejecuta como root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    # Sin red de verdad: cualquier nombre de host falla al momento, salvo 127.0.0.1 (el JupyterLab de la prueba).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ARRANQUE_S = 180  # JupyterLab en 2 núcleos compartidos puede tardar en arrancar
EJECUCION_S = 600  # por notebook; cada uno debería tardar menos de un minuto
IMAGENES_S = 60

# Ajustes de usuario solo para la prueba: todas las celdas en el DOM (para poder mirar cada imagen)
# y sin autoguardado (la copia no se toca, pero así nada escribe ficheros durante la prueba).
AJUSTES_PRUEBA = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

pytestmark = pytest.mark.slow


def _puerto_libre():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copia_del_repositorio(destino):
    """Copia lo que usan los notebooks: la prueba nunca escribe en el repositorio de verdad."""
    ignorar = shutil.ignore_patterns(".git", ".venv", "venv", "capturas", "colab", "__pycache__",
                                     ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", "*.egg-info")
    shutil.copytree(ROOT, destino, ignore=ignorar, symlinks=True)
    return destino


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, missing_tool):
    """Un JupyterLab en 127.0.0.1 (puerto libre, token) sobre una copia del repositorio; lo para al final.

    Sin Chromium o sin playwright, se salta en la máquina de un alumno y falla en CI (missing_tool)."""
    if not Path(CHROMIUM).exists():
        missing_tool(f"No está Chromium en {CHROMIUM}: instálalo con apt-get install chromium.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_tool("Falta el paquete playwright: pip install -r requirements.txt.")
    tmp = tmp_path_factory.mktemp("navegador")
    copia = _copia_del_repositorio(tmp / "curso")
    for nombre, ajustes in AJUSTES_PRUEBA.items():
        fichero = tmp / "ajustes" / nombre
        fichero.parent.mkdir(parents=True, exist_ok=True)
        fichero.write_text(json.dumps(ajustes), encoding="utf-8")
    env = {**os.environ}
    env.pop("MPLBACKEND", None)  # en JupyterLab las figuras van en línea, como para el alumno
    env.update({
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "ajustes"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "espacios"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # nada de la configuración personal de quien prueba
    })
    port, token = _puerto_libre(), secrets.token_hex(16)
    command = curso.lab_command(
        copia, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, para dar órdenes y leer el modelo
    )
    command[0] = sys.executable  # el mismo Python que ejecuta las pruebas
    log_path = tmp / "jupyterlab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=copia, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        limite = time.monotonic() + ARRANQUE_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab terminó al arrancar:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > limite:
                pytest.fail(f"JupyterLab no respondió en {ARRANQUE_S} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "root": copia, "log": log_path}
    finally:
        server.terminate()  # Jupyter Server apaga sus kernels al recibir SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(lab):
    """Chromium sin ventana, del sistema, sin red más allá de 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _pagina(browser, lab, ruta):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="es-ES")
    page.set_default_timeout(ARRANQUE_S * 1000)
    page.goto(f"{lab['base']}/lab/{ruta}?reset&token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.restored !== undefined")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    return page


def test_jupyterlab_abre_en_espanol(lab, browser):
    """Con la configuración de curso.py, los menús de JupyterLab salen en español (Archivo, Editar...)."""
    page = _pagina(browser, lab, "tree/notebooks")
    try:
        page.wait_for_selector(".jp-DirListing-item")  # el explorador de ficheros ya muestra notebooks/
        page.wait_for_function(
            "() => [...document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')]"
            ".some(e => e.textContent === 'Archivo')", timeout=60_000)
        menus = page.eval_on_selector_all("#jp-menu-panel .lm-MenuBar-itemLabel", "els => els.map(e => e.textContent)")
        CAPTURAS.mkdir(exist_ok=True)
        page.screenshot(path=str(CAPTURAS / "jupyterlab_en_espanol.png"))
    finally:
        page.close()
    # El paquete de idioma fijado aún no traduce «Run» ni «Tabs» en el contexto de menú de JupyterLab 4.6.
    for menu in ("Archivo", "Editar", "Ver", "Kernel", "Configuración", "Ayuda"):
        assert menu in menus, f"Falta el menú {menu!r}; la barra de menús dice {menus}"
    en_ingles = sorted({"File", "Edit", "View", "Settings", "Help"} & set(menus))
    assert not en_ingles, f"Menús aún en inglés: {en_ingles}"


# JavaScript que espera al notebook abierto y a su kernel en reposo.
_NOTEBOOK_LISTO = """(ruta) => {
    const panel = window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.context || panel.context.path !== ruta || !panel.context.isReady) return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""

# Ejecuta todas las celdas (Ejecutar > Ejecutar todas las celdas) con un kernel recién arrancado y
# apunta cada estado del kernel, para saber después si murió o se reinició.
_EJECUTAR_TODO = """() => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    window.__estados = [];
    panel.sessionContext.statusChanged.connect((_, estado) => window.__estados.push(estado));
    window.__fin = undefined;
    app.commands.execute('notebook:run-all-cells').then(
        (ok) => { window.__fin = {ok: ok}; },
        (err) => { window.__fin = {ok: false, error: String(err)}; });
}"""

_TERMINADO = """() => {
    if (window.__fin === undefined) return false;
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !kernel || kernel.status !== 'busy';
}"""

_RESULTADO = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return {
        fin: window.__fin,
        estados: window.__estados,
        estado_final: kernel ? kernel.status : 'sin kernel',
        notebook: panel.context.model.toJSON(),
    };
}"""

# Imágenes del notebook (markdown y salidas): true cuando todas han terminado de cargar (bien o mal).
_IMAGENES_CARGADAS = """() => {
    const nodo = window.jupyterapp.shell.currentWidget.content.node;
    return [...nodo.querySelectorAll('img')].every(img => img.complete && img.getAttribute('src'));
}"""

_IMAGENES_ROTAS = """(badge) => {
    const nodo = window.jupyterapp.shell.currentWidget.content.node;
    return [...nodo.querySelectorAll('img')]
        .filter(img => img.getAttribute('src') !== badge)  // el botón de Colab viene de internet
        .filter(img => !img.complete || img.naturalWidth === 0)
        .map(img => (img.getAttribute('alt') || '').slice(0, 60) + ' <- '
                    + (img.getAttribute('src') || '').slice(0, 120));
}"""


def _errores(notebook):
    """Devuelve una descripción de cada salida de error inesperada y de cada celda que no llegó a ejecutarse."""
    problemas = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            if output["output_type"] == "error" and "raises-exception" not in tags:
                problemas.append(f"celda {i}: {output['ename']}: {output['evalue']}")
        if cell.get("execution_count") is None and "".join(cell["source"]).strip():
            problemas.append(f"celda {i}: no se ejecutó")
    return problemas


NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in notebook_paths(ROOT)]


def _ejecutar_en_navegador(browser, lab, ruta, captura):
    """Abre el notebook, ejecuta todas sus celdas y devuelve (resultado, imágenes rotas, tiempos en s)."""
    inicio = time.monotonic()
    page = _pagina(browser, lab, f"tree/{ruta}")
    try:
        page.wait_for_function(_NOTEBOOK_LISTO, arg=ruta)
        abierto = time.monotonic()
        page.evaluate(_EJECUTAR_TODO)
        page.wait_for_function(_TERMINADO, timeout=EJECUCION_S * 1000, polling=500)
        ejecutado = time.monotonic()
        resultado = page.evaluate(_RESULTADO)
        try:
            page.wait_for_function(_IMAGENES_CARGADAS, timeout=IMAGENES_S * 1000, polling=250)
        except Exception:  # noqa: BLE001 - las que falten se informan justo debajo
            pass
        rotas = page.evaluate(_IMAGENES_ROTAS, BADGE_IMAGE)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.scrollToItem(0)")
        page.wait_for_timeout(500)
        CAPTURAS.mkdir(exist_ok=True)
        page.screenshot(path=str(captura))
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    finally:
        page.close()
    tiempos = {"abrir": abierto - inicio, "ejecutar": ejecutado - abierto, "total": time.monotonic() - inicio}
    return resultado, rotas, tiempos


def _problemas(resultado, rotas):
    """Todo lo que hace fallar un notebook: kernel muerto, salidas de error e imágenes rotas."""
    problemas = []
    muertes = [e for e in resultado["estados"] if e in ("dead", "restarting", "autorestarting")]
    if muertes:
        problemas.append(f"el kernel murió o se reinició (estados: {resultado['estados']})")
    if resultado["estado_final"] != "idle":
        problemas.append(f"el kernel acabó en estado {resultado['estado_final']}")
    problemas += _errores(resultado["notebook"])
    problemas += [f"imagen que no carga: {imagen}" for imagen in rotas]
    return problemas


@pytest.mark.parametrize("ruta", NOTEBOOKS)
def test_el_notebook_se_ejecuta_en_el_navegador(lab, browser, ruta):
    """El notebook se abre en JupyterLab, todas sus celdas se ejecutan sin error, el kernel sigue vivo
    y cada imagen (figuras del curso y gráficas de las salidas) carga."""
    captura = CAPTURAS / (ruta.replace("/", "__").removesuffix(".ipynb") + ".png")
    resultado, rotas, tiempos = _ejecutar_en_navegador(browser, lab, ruta, captura)
    with open(CAPTURAS / "tiempos.tsv", "a", encoding="utf-8") as f:
        f.write(f"{ruta}\t" + "\t".join(f"{k} {v:.1f} s" for k, v in tiempos.items()) + "\n")
    problemas = _problemas(resultado, rotas)
    assert not problemas, f"{ruta} en el navegador:\n" + "\n".join(problemas)


def test_la_prueba_del_navegador_detecta_errores_e_imagenes_rotas(lab, browser):
    """Control: en un notebook con un error, una imagen inexistente y una celda raises-exception, la
    prueba señala el error y la imagen, y no la celda que debía fallar (que no detiene la ejecución)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell('# Control\n\n<img src="../imgs/no_existe.png" alt="rota" width="100">'),
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell('print("sigue")'),
        nbformat.v4.new_code_cell('raise ValueError("fallo de control")'),
    ]
    ruta = "notebooks/control_navegador.ipynb"
    nbformat.write(nb, lab["root"] / ruta)
    resultado, rotas, _ = _ejecutar_en_navegador(browser, lab, ruta, CAPTURAS / "control_navegador.png")
    problemas = _problemas(resultado, rotas)
    assert any("ValueError: fallo de control" in p for p in problemas), problemas
    assert any("no_existe.png" in p for p in problemas), problemas
    assert not any("ZeroDivisionError" in p for p in problemas), problemas
    assert resultado["notebook"]["cells"][2]["outputs"][0]["text"] == "sigue\n"
