"""Prueba en un navegador real: lo que hace un alumno con `python curso.py`, notebook a notebook.

Sobre una copia del repositorio (la prueba nunca escribe en el de verdad), ejecuta `python curso.py` tal
cual (más un puerto libre, un token y --no-browser) y, con Chromium sin ventana (Playwright con el Chromium
de Debian, nunca uno descargado, y sin más red que 127.0.0.1), para cada notebook de notebooks/:

1. lo abre: cada figura (<img>) se ha cargado (naturalWidth > 0) y abrirlo no lo marca como modificado;
2. pulsa «Run > Ejecutar todas las celdas» en la barra de menús: todas las celdas se ejecutan, ninguna salida es un
   error, el kernel no muere, y las imágenes de las salidas cargan;
3. en los notebooks con exploradores (ipywidgets con la clase explorador-muestreo o explorador-atencion;
   el de entrenamiento debe tener los dos), mueve un deslizador de cada uno y comprueba que su salida cambia;
4. cierra la pestaña descartando los cambios: el fichero sigue idéntico byte a byte.

Deja una captura por notebook en capturas/ (ignorada por git) y los tiempos en capturas/tiempos.tsv.
Sin Chromium o sin playwright se salta; en CI (CI=true), .ci/run los instala, así que allí falla.
"""

import json
import os
import platform
import re
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, notebook_id, running_course

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
EJECUCION_S = 900  # por notebook: cada uno tarda menos de un minuto, el de entrenamiento unos minutos
EXPLORADOR_S = 120  # lo que puede tardar la salida de un explorador en cambiar tras mover un deslizador
IMAGENES_S = 60
EXPLORADORES = ("explorador-muestreo", "explorador-atencion")
NOTEBOOK_ENTRENAMIENTO = "notebooks/10_entrenar_gpt.ipynb"
BADGE_HOST = "colab.research.google.com"  # el botón «Abrir en Colab», la única imagen de internet

# Ajustes de usuario solo para la prueba. El autoguardado, activo para el alumno, guarda cada 2 minutos lo
# que haya cambiado: tras «Run All», las salidas nuevas (es lo que debe hacer con su trabajo). Aquí se
# desactiva para comprobar que nada más escribe el fichero; lo que el autoguardado sí guardaría sin que el
# alumno toque nada, un notebook modificado con solo abrirlo, se comprueba directamente (model.dirty).
AJUSTES_PRUEBA = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

pytestmark = pytest.mark.slow


def _copia_del_repositorio(destino):
    """Copia lo que usan los notebooks y curso.py; .venv es un enlace al entorno que ejecuta las pruebas.

    No copia lo que otros procesos pueden estar escribiendo a la vez (puntos de control de un entrenamiento,
    ficheros temporales de un guardado atómico, cachés); un fichero que desaparece mientras se copia (el
    temporal de un guardado que acaba de renombrarse) no es un error.
    """
    ignorar = shutil.ignore_patterns(".git", ".venv", "venv", ".cache", "capturas", "colab", "__pycache__",
                                     ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", "*.egg-info",
                                     "resultados", "gpt2-124M", "checkpoints", "*.tmp", "*.lock")
    try:
        shutil.copytree(ROOT, destino, ignore=ignorar, symlinks=True)
    except shutil.Error as err:
        if any(Path(origen).exists() for origen, _, _ in err.args[0]):
            raise
    (destino / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return destino


def _entorno_listo(missing_tool):
    """Salta (o falla en CI) si falta Chromium, playwright o un .venv al día con el que arrancar curso.py."""
    if not Path(CHROMIUM).exists():
        missing_tool(f"No está Chromium en {CHROMIUM}: instálalo con apt-get install chromium.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_tool("Falta el paquete playwright: pip install -r requirements.txt.")
    stamp = Path(sys.prefix) / ".requirements-instalados"
    requisitos = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != requisitos:
        missing_tool("La prueba del navegador arranca python curso.py con el entorno de las pruebas, y este no es "
                     "un .venv al día de curso.py: ejecútala con python curso.py pruebas.")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, missing_tool):
    """Ejecuta python curso.py en una copia del repositorio, como el alumno; lo para al final."""
    _entorno_listo(missing_tool)
    tmp = tmp_path_factory.mktemp("navegador")
    copia = _copia_del_repositorio(tmp / "curso")
    for nombre, ajustes in AJUSTES_PRUEBA.items():
        fichero = tmp / "ajustes" / nombre
        fichero.parent.mkdir(parents=True, exist_ok=True)
        fichero.write_text(json.dumps(ajustes), encoding="utf-8")
    # window.jupyterapp, para leer el modelo del notebook
    with running_course(copia / "curso.py", tmp, ["--LabApp.expose_app_in_browser=True"], ARRANQUE_S) as servidor:
        yield {**servidor, "root": copia}


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


def _pagina(browser, lab, ruta=""):
    """Abre JupyterLab en una pestaña nueva (por la dirección de inicio si ruta está vacía) y espera a que cargue."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="es-ES")
    page.set_default_timeout(ARRANQUE_S * 1000)
    destino = f"/lab/tree/{ruta}?reset&" if ruta else "/?"
    page.goto(f"{lab['base']}{destino}token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.restored !== undefined")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    return page


def test_curso_abre_la_carpeta_notebooks_en_español(lab, browser):
    """La dirección que imprime python curso.py abre JupyterLab con los menús en español y el explorador de
    ficheros en notebooks/, con el primer notebook a la vista."""
    assert "/lab/tree/notebooks?token=" in lab["log"].read_text(errors="replace")  # la dirección que se imprime
    page = _pagina(browser, lab)
    try:
        assert page.url.split("?")[0] == f"{lab['base']}/lab/tree/notebooks"
        page.wait_for_selector(".jp-DirListing-item")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')]"
            ".some(e => e.textContent === 'Archivo')", timeout=60_000)
        menus = page.eval_on_selector_all("#jp-menu-panel .lm-MenuBar-itemLabel", "els => els.map(e => e.textContent)")
        ficheros = page.eval_on_selector_all(".jp-DirListing-item .jp-DirListing-itemText",
                                             "els => els.map(e => e.textContent)")
        CAPTURAS.mkdir(exist_ok=True)
        page.screenshot(path=str(CAPTURAS / "jupyterlab_en_espanol.png"))
    finally:
        page.close()
    assert Path(NOTEBOOKS[0]).name in ficheros, ficheros
    # El paquete de idioma fijado aún no traduce «Run» ni «Tabs» en el contexto de menú de JupyterLab 4.6.
    for menu in ("Archivo", "Editar", "Ver", "Kernel", "Configuración", "Ayuda"):
        assert menu in menus, f"Falta el menú {menu!r}; la barra de menús dice {menus}"
    en_ingles = sorted({"File", "Edit", "View", "Settings", "Help"} & set(menus))
    assert not en_ingles, f"Menús aún en inglés: {en_ingles}"


# ----------------------------------------------------------------------------- JavaScript de la prueba

_PANEL = "window.jupyterapp.shell.currentWidget"

# El notebook abierto y su kernel en reposo.
_NOTEBOOK_LISTO = f"""(ruta) => {{
    const panel = {_PANEL};
    if (!panel || !panel.context || panel.context.path !== ruta || !panel.context.isReady) return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}}"""

# ¿Modificado nada más abrirlo? Y los metadatos del modelo, para explicar por qué.
_ESTADO_AL_ABRIR = f"""() => {{
    const panel = {_PANEL};
    return {{dirty: panel.model.dirty, metadata: panel.model.toJSON().metadata}};
}}"""

# Apunta lo que pasa en el kernel: peticiones de ejecución, respuestas (y cuántas con error) y estados.
_ESCUCHAR_KERNEL = f"""() => {{
    const panel = {_PANEL};
    const kernel = panel.sessionContext.session.kernel;
    const c = window.__kernel = {{pedidas: 0, respuestas: 0, errores: 0, abortadas: 0, estados: []}};
    kernel.anyMessage.connect((_, args) => {{
        const tipo = args.msg.header.msg_type;
        if (args.direction === 'send' && tipo === 'execute_request') c.pedidas++;
        if (args.direction === 'recv' && tipo === 'execute_reply') {{
            c.respuestas++;
            if (args.msg.content.status === 'error') c.errores++;
            if (args.msg.content.status === 'aborted') c.abortadas++;
        }}
    }});
    panel.sessionContext.statusChanged.connect((_, estado) => c.estados.push(estado));
}}"""

# Fin de «Run All»: todas las celdas con código pedidas (o un error, que para la ejecución), todas
# respondidas, el kernel en reposo y ninguna celda en cola ([*]). Con el kernel muerto, también termina.
_FIN_DE_EJECUCION = f"""() => {{
    const c = window.__kernel;
    const panel = {_PANEL};
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || c.estados.some(e => ['dead', 'restarting', 'autorestarting'].includes(e))) return 'kernel';
    const conCodigo = panel.content.widgets.filter(
        w => w.model.type === 'code' && w.model.sharedModel.getSource().trim() !== '').length;
    const enCola = [...panel.content.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
    return c.pedidas > 0 && c.respuestas === c.pedidas && kernel.status === 'idle' && !enCola
        && (c.pedidas >= conCodigo || c.errores + c.abortadas > 0) ? 'fin' : false;
}}"""

_RESULTADO = f"""() => {{
    const panel = {_PANEL};
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const conCodigo = panel.content.widgets.filter(
        w => w.model.type === 'code' && w.model.sharedModel.getSource().trim() !== '').length;
    return {{kernel: window.__kernel, con_codigo: conCodigo, estado_final: kernel ? kernel.status : 'sin kernel',
             notebook: panel.model.toJSON()}};
}}"""

# Cada <img> del notebook (figuras del markdown y gráficas de las salidas): la lleva a la vista, como al leer,
# espera a que termine de cargar (bien o mal) y dice si cargó.
_IMAGENES = f"""async () => {{
    const nodo = {_PANEL}.content.node;
    const imagenes = [...nodo.querySelectorAll('img')];
    for (const img of imagenes) {{
        img.scrollIntoView({{block: 'center'}});
        if (!img.complete) {{
            await new Promise(listo => {{
                img.addEventListener('load', listo, {{once: true}});
                img.addEventListener('error', listo, {{once: true}});
                setTimeout(listo, 15000);
            }});
        }}
    }}
    return imagenes.map(img => ({{
        src: img.currentSrc || img.src || '', atributo: img.getAttribute('src') || '',
        alt: (img.getAttribute('alt') || '').slice(0, 60), markdown: Boolean(img.closest('.jp-MarkdownCell')),
        cargada: img.complete && img.naturalWidth > 0,
    }}));
}}"""

# Cuántas imágenes de markdown tienen ya su dirección resuelta (JupyterLab la pone de forma asíncrona).
_IMAGENES_MARKDOWN_RESUELTAS = f"""(esperadas) => {{
    const imgs = [...{_PANEL}.content.node.querySelectorAll('.jp-MarkdownCell img')];
    return imgs.length >= esperadas && imgs.every(img => /^(https?:|data:|blob:)/.test(img.src || ''));
}}"""

# Lo que muestra un explorador sin sus deslizadores (cuyo número cambia al moverlos).
_SALIDA_EXPLORADOR = f"""(clase) => {{
    const nodo = {_PANEL}.content.node.querySelector('.' + clase);
    if (!nodo) return null;
    const copia = nodo.cloneNode(true);
    copia.querySelectorAll('.widget-slider, .widget-readout').forEach(e => e.remove());
    return copia.innerHTML;
}}"""


# ----------------------------------------------------------------------------- pasos del alumno


def _imagenes_en_markdown(nb):
    """Cuántas imágenes enlaza el markdown del notebook (<img ...> y ![...](...))."""
    texto = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return len(re.findall(r"<img\s", texto)) + len(re.findall(r"!\[[^\]]*\]\(", texto))


def _imagenes_rotas(page, lab, solo_salidas=False):
    """Las imágenes que no cargaron, y las que vienen de fuera que no son el botón de Colab."""
    rotas = []
    for img in page.evaluate(_IMAGENES):
        if solo_salidas and img["markdown"]:
            continue
        local = img["src"].startswith((lab["base"], "data:", "blob:"))
        if not local:
            if BADGE_HOST not in img["src"]:
                rotas.append(f"imagen de internet (sin red no se ve): {img['src'][:120]}")
            continue
        if not img["cargada"]:
            donde = "figura" if img["markdown"] else "salida"
            # JupyterLab reescribe ../imgs/x.png como {base}/files/imgs/x.png?_xsrf=...: se muestra imgs/x.png.
            ruta = img["src"].removeprefix(f"{lab['base']}/files/").split("?")[0][:120]
            rotas.append(f"{donde} que no carga: {img['alt']!r} <- {ruta}")
    return rotas


def _ejecutar_todo_desde_el_menu(page):
    """Pulsa «Run» (o «Ejecutar») en la barra de menús y después «Ejecutar todas las celdas», como el alumno."""
    for etiqueta in ("Run", "Ejecutar"):
        menu = page.locator("#jp-menu-panel .lm-MenuBar-item", has_text=re.compile(rf"^{etiqueta}$"))
        if menu.count():
            menu.first.click()
            break
    else:
        raise AssertionError("No encuentro el menú Run/Ejecutar en la barra de menús")
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()  # «Ejecutar todas las celdas»


def _mover_deslizador(page, clase):
    """Arrastra con el ratón el primer deslizador del explorador (o, si no se mueve, pulsa → con él enfocado)."""
    explorador = page.locator(f".{clase}").first
    explorador.scroll_into_view_if_needed()
    tirador = explorador.locator(".widget-slider .noUi-handle").first
    lectura = explorador.locator(".widget-slider .widget-readout").first
    antes = lectura.inner_text() if lectura.count() else None
    caja = tirador.bounding_box()
    page.mouse.move(caja["x"] + caja["width"] / 2, caja["y"] + caja["height"] / 2)
    page.mouse.down()
    page.mouse.move(caja["x"] + caja["width"] / 2 + 60, caja["y"] + caja["height"] / 2, steps=8)
    page.mouse.up()
    if lectura.count() and lectura.inner_text() == antes:
        tirador.focus()
        page.keyboard.press("ArrowRight")
    return antes, lectura.inner_text() if lectura.count() else None


def _probar_exploradores(page, clases, espera_s=EXPLORADOR_S):
    """Mueve un deslizador de cada explorador y devuelve los problemas (explorador ausente, salida que no cambia)."""
    problemas = []
    for clase in clases:
        antes = page.evaluate(_SALIDA_EXPLORADOR, clase)
        if antes is None:
            problemas.append(f"no aparece el explorador .{clase} (¿ipywidgets sin instalar o sin add_class?)")
            continue
        if not page.locator(f".{clase} .widget-slider .noUi-handle").count():
            problemas.append(f"el explorador .{clase} no tiene ningún deslizador")
            continue
        lectura = _mover_deslizador(page, clase)
        try:
            page.wait_for_function(f"(args) => ({_SALIDA_EXPLORADOR})(args[0]) !== args[1]",
                                   arg=[clase, antes], timeout=espera_s * 1000, polling=500)
        except Exception:  # noqa: BLE001 - se explica justo aquí
            problemas.append(f"la salida de .{clase} no cambió en {espera_s} s tras mover un deslizador "
                             f"(valor {lectura[0]} -> {lectura[1]})")
        errores = page.locator(f".{clase} [data-mime-type='application/vnd.jupyter.stderr']")
        texto = " ".join(errores.all_inner_texts())
        if "Error" in texto or "Traceback" in texto:
            problemas.append(f"el explorador .{clase} muestra un error: {texto[:300]}")
    return problemas


def _cerrar_descartando(page, lab):
    """Cierra la pestaña del notebook con su aspa y elige «Descartar» (no guardar); apaga después su kernel."""
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
    dialogo = page.locator(".jp-Dialog")
    try:
        dialogo.wait_for(timeout=10_000)
        dialogo.locator(".jp-Dialog-button.jp-mod-warn").click()  # «Descartar» / «Discard»
    except Exception:  # noqa: BLE001 - sin cambios no hay diálogo
        pass
    page.wait_for_function(f"() => !{_PANEL} || !{_PANEL}.context", timeout=30_000)
    page.evaluate("""async (token) => {
        const sesiones = await (await fetch('/api/sessions?token=' + token)).json();
        for (const s of sesiones) await fetch('/api/sessions/' + s.id + '?token=' + token, {method: 'DELETE'});
    }""", lab["token"])


def _apagar_kernels(lab):
    """Apaga, con la API REST de Jupyter, cualquier kernel que siga vivo en el servidor."""
    cabeceras = {"Authorization": f"token {lab['token']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab['base']}/api/kernels", headers=cabeceras),
                                timeout=60) as r:
        kernels = json.load(r)
    for kernel in kernels:
        pedido = urllib.request.Request(f"{lab['base']}/api/kernels/{kernel['id']}", headers=cabeceras,
                                        method="DELETE")
        urllib.request.urlopen(pedido, timeout=60).close()


def _cambios_al_abrir(estado, guardado):
    """Por qué el notebook quedó modificado al abrirlo (None si no lo está, o si solo cambia la versión de Python
    porque quien prueba tiene otra que quien ejecutó el notebook: eso no se puede evitar desde el fichero)."""
    if not estado["dirty"]:
        return None
    nuevos, viejos = estado["metadata"], guardado.get("metadata", {})
    distintas = sorted(k for k in set(nuevos) | set(viejos) if nuevos.get(k) != viejos.get(k))
    version_guardada = viejos.get("language_info", {}).get("version")
    if distintas == ["language_info"] and version_guardada != platform.python_version():
        solo_version = {**viejos["language_info"], "version": platform.python_version()}
        if nuevos["language_info"] == solo_version:
            return None
    detalle = "; ".join(f"{k}: guardado {json.dumps(viejos.get(k), sort_keys=True)}, "
                        f"JupyterLab pone {json.dumps(nuevos.get(k), sort_keys=True)}" for k in distintas)
    return ("abrirlo lo marca como modificado (el autoguardado lo reescribiría): "
            + (detalle or "sin cambios en los metadatos") + "; arréglalo con python -m tools.metadatos")


def _errores(resultado):
    """Salidas de error, celdas sin ejecutar y kernel muerto tras «Run All»."""
    problemas = []
    muertes = [e for e in resultado["kernel"]["estados"] if e in ("dead", "restarting", "autorestarting")]
    if muertes:
        problemas.append(f"el kernel murió o se reinició (estados: {resultado['kernel']['estados']})")
    if resultado["estado_final"] != "idle":
        problemas.append(f"el kernel acabó en estado {resultado['estado_final']}")
    for i, cell in enumerate(resultado["notebook"]["cells"]):
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            if output["output_type"] == "error":
                problemas.append(f"celda {i}: {output['ename']}: {output['evalue'][:300]}")
    ejecutadas = resultado["kernel"]["pedidas"] - resultado["kernel"]["abortadas"]
    if ejecutadas < resultado["con_codigo"]:
        problemas.append(f"«Run All» solo ejecutó {ejecutadas} de {resultado['con_codigo']} celdas con código")
    return problemas


def _recorrido_del_alumno(browser, lab, ruta, captura, espera_explorador_s=EXPLORADOR_S):
    """Abre el notebook, mira sus figuras, lo ejecuta entero desde el menú, prueba sus exploradores y lo cierra
    sin guardar. Devuelve (problemas, tiempos en s)."""
    fichero = lab["root"] / ruta
    guardado = fichero.read_bytes()
    nb = json.loads(guardado)
    problemas = []
    inicio = time.monotonic()
    page = _pagina(browser, lab, ruta)
    try:
        page.wait_for_function(_NOTEBOOK_LISTO, arg=ruta)
        page.wait_for_timeout(1500)  # la respuesta kernel_info (language_info) llega justo después
        abierto = time.monotonic()
        cambio = _cambios_al_abrir(page.evaluate(_ESTADO_AL_ABRIR), nb)
        if cambio:
            problemas.append(cambio)
        try:
            page.wait_for_function(_IMAGENES_MARKDOWN_RESUELTAS, arg=_imagenes_en_markdown(nb),
                                   timeout=IMAGENES_S * 1000, polling=250)
        except Exception:  # noqa: BLE001 - las que falten se cuentan aquí
            problemas.append(f"el markdown enlaza {_imagenes_en_markdown(nb)} imágenes y no todas aparecen")
        problemas += _imagenes_rotas(page, lab)

        page.evaluate(_ESCUCHAR_KERNEL)
        _ejecutar_todo_desde_el_menu(page)
        page.wait_for_function(_FIN_DE_EJECUCION, timeout=EJECUCION_S * 1000, polling=500)
        ejecutado = time.monotonic()
        resultado = page.evaluate(_RESULTADO)
        problemas += _errores(resultado)
        problemas += [f"tras ejecutarlo, {p}" for p in _imagenes_rotas(page, lab, solo_salidas=True)]
        # Los exploradores que haya en la página; el notebook de entrenamiento debe tener los dos.
        exploradores = [clase for clase in EXPLORADORES if page.locator(f".{clase}").count()
                        or ruta == NOTEBOOK_ENTRENAMIENTO]
        if exploradores and not resultado["kernel"]["errores"]:
            problemas += _probar_exploradores(page, exploradores, espera_explorador_s)
        page.evaluate(f"() => {_PANEL}.content.scrollToItem(0)")
        page.wait_for_timeout(500)
        CAPTURAS.mkdir(exist_ok=True)
        page.screenshot(path=str(captura))
        _cerrar_descartando(page, lab)
    finally:
        page.close()
        _apagar_kernels(lab)  # también si algo falló antes: un kernel que sigue calculando frena a los siguientes
    if fichero.read_bytes() != guardado:
        problemas.append("el fichero cambió en el disco al abrirlo, ejecutarlo y cerrarlo sin guardar")
    tiempos = {"abrir": abierto - inicio, "ejecutar": ejecutado - abierto, "total": time.monotonic() - inicio}
    return problemas, tiempos


def _notebooks_del_curso():
    """Cada notebook de notebooks/ (se buscan al empezar); el de entrenamiento, saltado y dicho si aún no existe."""
    rutas = [notebook_id(p) for p in NOTEBOOKS]
    if NOTEBOOK_ENTRENAMIENTO not in rutas:
        rutas.append(pytest.param(NOTEBOOK_ENTRENAMIENTO, marks=pytest.mark.skip(
            reason=f"{NOTEBOOK_ENTRENAMIENTO} aún no existe: cuando exista, esta prueba lo ejecuta y mueve sus "
                   "dos exploradores")))
    return rutas


@pytest.mark.parametrize("ruta", _notebooks_del_curso())
def test_el_alumno_abre_y_ejecuta_el_notebook(lab, browser, ruta):
    """Al abrirlo cada figura carga y no queda modificado; «Run All» llega al final sin errores ni kernel
    muerto; sus exploradores responden a los deslizadores; cerrado sin guardar, el fichero no cambia."""
    captura = CAPTURAS / (ruta.replace("/", "__").removesuffix(".ipynb") + ".png")
    problemas, tiempos = _recorrido_del_alumno(browser, lab, ruta, captura)
    with open(CAPTURAS / "tiempos.tsv", "a", encoding="utf-8") as f:
        f.write(f"{ruta}\t" + "\t".join(f"{k} {v:.1f} s" for k, v in tiempos.items()) + "\n")
    assert not problemas, f"{ruta} en el navegador:\n" + "\n".join(problemas)


def test_control_la_prueba_detecta_figuras_rotas_errores_y_cambios_al_abrir(lab, browser):
    """Control: en un notebook con una figura que no existe, otra que sí, metadatos antiguos ("Python 3") y una
    celda que lanza un error, la prueba señala la figura rota, el error, que «Run All» no llegó al final y que
    abrirlo lo modifica; no señala la figura buena, y el fichero no cambia al cerrarlo sin guardar."""
    import nbformat

    figura = sorted((ROOT / "imgs").glob("*.png"))[0].name
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f'# Control\n\n<img src="../imgs/no_existe.png" alt="rota" width="100">\n\n'
                                      f'<img src="../imgs/{figura}" alt="buena" width="100">'),
        nbformat.v4.new_code_cell('print("sigue")'),
        nbformat.v4.new_code_cell('raise ValueError("fallo de control")'),
        nbformat.v4.new_code_cell('print("no llega")'),
    ]
    ruta = "notebooks/control_navegador.ipynb"
    nbformat.write(nb, lab["root"] / ruta)
    problemas, _ = _recorrido_del_alumno(browser, lab, ruta, CAPTURAS / "control_navegador.png")
    texto = "\n".join(problemas)
    assert "figura que no carga: 'rota' <- imgs/no_existe.png" in texto, texto
    assert "'buena'" not in texto, texto
    assert "ValueError: fallo de control" in texto, texto
    assert "solo ejecutó 2 de 3 celdas" in texto, texto
    assert "abrirlo lo marca como modificado" in texto and "Python 3 (ipykernel)" in texto, texto
    assert "el fichero cambió" not in texto, texto


def test_control_la_prueba_mueve_los_exploradores(lab, browser):
    """Control: con dos exploradores de ipywidgets, uno cuya salida sigue al deslizador y otro que no, la prueba
    mueve un deslizador de cada uno y solo señala el segundo."""
    import nbformat

    crear = """
import ipywidgets as widgets

def explorador(clase, responde):
    deslizador = widgets.IntSlider(value=3, min=1, max=10, description="k")
    salida = widgets.Output()
    with salida:
        print("k = 3")
    def al_mover(cambio):
        salida.clear_output()
        with salida:
            print(f"k = {cambio['new']}")
    if responde:
        deslizador.observe(al_mover, names="value")
    caja = widgets.VBox([deslizador, salida])
    caja.add_class(clase)
    return caja
"""
    from tools.metadatos import expected_metadata

    nb = nbformat.v4.new_notebook(metadata=expected_metadata())  # sin kernelspec, JupyterLab preguntaría cuál
    nb.cells = [nbformat.v4.new_code_cell(crear),
                nbformat.v4.new_code_cell('explorador("explorador-muestreo", responde=True)'),
                nbformat.v4.new_code_cell('explorador("explorador-atencion", responde=False)')]
    ruta = "notebooks/control_exploradores.ipynb"
    nbformat.write(nb, lab["root"] / ruta)
    problemas, _ = _recorrido_del_alumno(browser, lab, ruta, CAPTURAS / "control_exploradores.png",
                                         espera_explorador_s=10)
    exploradores = [p for p in problemas if "explorador" in p]
    assert len(exploradores) == 1 and "la salida de .explorador-atencion no cambió" in exploradores[0], problemas
