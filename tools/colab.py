"""Google Colab: la celda de preparación común a todos los notebooks, y la URL del repositorio en un solo sitio.

Colab no resuelve rutas relativas de imágenes (`<img src="../imgs/...">`) ni muestra los adjuntos de las
celdas markdown; JupyterLab sin red, en cambio, solo puede usar rutas relativas. Por eso los notebooks de
notebooks/ guardan rutas relativas (sirven en JupyterLab, con o sin red, y en GitHub), y este módulo genera
en colab/ una copia de cada uno en la que las imágenes apuntan a raw.githubusercontent.com y los enlaces
entre notebooks abren su copia en Colab. El botón «Abrir en Colab» de cada notebook abre esa copia.

Para apuntar el curso a otro repositorio (por ejemplo, el fork de un docente), cambia REPO_URL (y
REPO_BRANCH si hace falta) y ejecuta desde la raíz del repositorio:

    python -m tools.colab

que reescribe en cada notebook la celda de preparación y el botón «Abrir en Colab», regenera colab/ y
actualiza los enlaces de Colab y del repositorio del README.md. Después, haz commit y push.
"""

import json
import posixpath
import re
import sys
from pathlib import Path

REPO_URL = "https://github.com/gpt-desde-cero/gpt-desde-cero"
REPO_BRANCH = "main"
COLAB_DIR = "/content/gpt-desde-cero"  # dónde se descarga el curso dentro de Colab
COLAB_COPIES = "colab"  # carpeta del repositorio con las copias para Colab
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"

ROOT = Path(__file__).resolve().parent.parent

SETUP_CELL_TEMPLATE = '''\
#@title Preparación del entorno {{ display-mode: "form" }}
# Hace que `import utils` cargue el código del curso (en Google Colab, antes lo descarga e instala lo que falta)
# y deja listo el tokenizador de GPT-2 sin conexión.
import subprocess
import sys
from pathlib import Path

if "google.colab" in sys.modules:
    raiz = Path("{colab_dir}")
    if not raiz.exists():
        url = "{repo_url}"
        subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "{branch}", url, str(raiz)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", raiz / "requirements-colab.txt"], check=True)
else:  # en local: la carpeta del repositorio que contiene este notebook
    raiz = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "utils" / "gpt.py").is_file()), None)
    if raiz is None:
        raise FileNotFoundError("No encuentro la carpeta del curso (la que tiene utils/): abre el notebook desde ella.")
sys.path.insert(0, str(raiz))  # el primero: en PyPI hay otro paquete que también se llama utils
from utils.tokenizer import install_gpt2_bpe_files
install_gpt2_bpe_files()  # copia los ficheros de tiktoken a su caché: get_encoding("gpt2") no necesita red'''

# La frase que precede a la celda de preparación (plegada, en JupyterLab no se ve su código).
SETUP_NOTE = (
    "*Preparación del entorno.* La celda siguiente, plegada, hace que `import utils` cargue el código del "
    "curso y deja listo el tokenizador de GPT-2 sin conexión; en Google Colab, antes descarga el curso e "
    "instala lo que falta. Ejecútala antes que las demás."
)
# Metadatos de la celda de preparación: plegada en JupyterLab (source_hidden) y como formulario en Colab.
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}

# Primera línea de la celda de preparación, también la de versiones anteriores de la plantilla: así se
# reconoce (y se sustituye) aunque su texto sea antiguo.
_SETUP_FIRST_LINES = (
    SETUP_CELL_TEMPLATE.splitlines()[0].format(),
    "# Preparación del entorno: en local solo hace importable el paquete `utils` del curso;",
)
_SETUP_NOTE_START = SETUP_NOTE.split(".*")[0]

# Un enlace a Colab de un notebook alojado en GitHub: .../github/<dueño>/<repo>/blob/<rama>/<ruta>.ipynb
COLAB_LINK = re.compile(
    r"https://colab\.research\.google\.com/github/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/blob/"
    r"(?P<branch>[\w./-]+?)/(?P<path>[^\s)\"'#?]+\.ipynb)"
)
_BADGE_LINE = re.compile(r"^\[!\[[^\]]*\]\([^)]*colab-badge\.svg\)\]\([^)]*\)\s*$")
# Destinos de imágenes y enlaces en markdown: <img src="...">, <a href="...">, ![alt](...) y [texto](...).
_HTML_ATTR = re.compile(r"(?P<pre><(?:img|a)\b[^>]*?\b(?P<attr>src|href)=)(?P<q>[\"'])(?P<url>[^\"']*)(?P=q)")
_MD_TARGET = re.compile(r"(?P<pre>(?P<bang>!?)\[[^\]]*\]\()(?P<url>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")


def setup_cell_source(repo_url=None, branch=None, colab_dir=None):
    """Devuelve el código de la celda de preparación para el repositorio dado.

    Parámetros:
        repo_url: repositorio que se clona en Colab (también vale una ruta local, para las pruebas).
        branch: rama que se clona.
        colab_dir: carpeta donde se clona dentro de Colab.
    """
    repo_url, branch = _config(repo_url, branch)
    return SETUP_CELL_TEMPLATE.format(repo_url=repo_url, branch=branch, colab_dir=colab_dir or COLAB_DIR)


def github_repo(repo_url=None):
    """Devuelve (dueño, repositorio) de una URL de GitHub, que es lo que Colab sabe abrir."""
    repo_url, _ = _config(repo_url, None)
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repo_url)
    if match is None:
        raise ValueError(
            f"REPO_URL ({repo_url!r}) no es un repositorio de GitHub; Colab abre notebooks de GitHub: "
            "usa la forma https://github.com/<usuario>/<repositorio>."
        )
    return match.group(1), match.group(2)


def colab_copy_path(nb_relpath):
    """Devuelve la ruta (relativa a la raíz) de la copia para Colab de un notebook: colab/<ruta>."""
    return f"{COLAB_COPIES}/{Path(nb_relpath).as_posix()}"


def colab_url(nb_relpath, repo_url=None, branch=None):
    """Devuelve la dirección que abre en Colab la copia de un notebook (ruta relativa a la raíz)."""
    return f"https://colab.research.google.com/github/{_repo_path(repo_url, branch)}/{colab_copy_path(nb_relpath)}"


def raw_url(relpath, repo_url=None, branch=None):
    """Devuelve la dirección directa del fichero del repositorio (la que usa Colab para las imágenes)."""
    return f"https://raw.githubusercontent.com/{_repo_path(repo_url, branch, blob=False)}/{relpath}"


def blob_url(relpath, repo_url=None, branch=None):
    """Devuelve la página de GitHub de un fichero del repositorio."""
    return f"https://github.com/{_repo_path(repo_url, branch)}/{relpath}"


def badge_markdown(nb_relpath, repo_url=None, branch=None):
    """Devuelve la línea markdown del botón «Abrir en Colab» de un notebook (ruta relativa a la raíz)."""
    return f"[![Abrir en Colab]({BADGE_IMAGE})]({colab_url(nb_relpath, repo_url, branch)})"


def notebook_paths(root=None):
    """Devuelve todos los notebooks del curso (los de notebooks/, recursivamente), ordenados."""
    root = ROOT if root is None else Path(root)
    return sorted(p for p in (root / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def is_setup_cell(cell):
    """Dice si una celda es la de preparación (en cualquier versión de la plantilla)."""
    first = _source(cell).splitlines()[:1]
    return cell["cell_type"] == "code" and bool(first) and first[0] in _SETUP_FIRST_LINES


def is_setup_note(cell):
    """Dice si una celda es la frase markdown que explica la celda de preparación."""
    return cell["cell_type"] == "markdown" and _source(cell).startswith(_SETUP_NOTE_START)


def stamp_notebook(nb, nb_relpath, repo_url=None, branch=None):
    """Pone al día la celda de preparación y el botón «Abrir en Colab»; no toca ninguna otra celda.

    Parámetros:
        nb: notebook (diccionario con el formato de nbformat); se modifica en el sitio.
        nb_relpath: ruta del notebook relativa a la raíz del repositorio, para el enlace de Colab.

    Devuelve:
        el mismo notebook.
    """
    cells = nb["cells"]
    if not cells or cells[0]["cell_type"] != "markdown" or not _source(cells[0]).startswith("# "):
        raise ValueError(f"{nb_relpath}: la primera celda debe ser markdown y empezar por el título ('# ...').")
    # Botón, justo debajo del título.
    lines = _source(cells[0]).splitlines()
    rest = [line for line in lines[1:] if not _BADGE_LINE.match(line)]
    while rest and not rest[0].strip():
        rest.pop(0)
    new_lines = [lines[0], "", badge_markdown(nb_relpath, repo_url, branch)] + ([""] + rest if rest else [])
    _set_source(cells[0], "\n".join(new_lines))
    # Celda de preparación: la primera que lo sea, o una nueva justo después del título.
    setup = next((cell for cell in cells if is_setup_cell(cell)), None)
    if setup is None:
        setup = _new_cell(nb, "code", "preparacion")
        cells.insert(1, setup)
    _set_source(setup, setup_cell_source(repo_url, branch))
    setup["outputs"] = []  # en local no muestra nada; así nbval no espera una salida de otra versión
    metadata = setup.setdefault("metadata", {})
    metadata.update(SETUP_METADATA)
    tags = [tag for tag in metadata.pop("tags", []) if tag != "nbval-ignore-output"]  # no imprime nada
    if tags:
        metadata["tags"] = tags
    # La frase que la explica, justo antes (una sola).
    position = cells.index(setup)
    for cell in [c for c in cells if is_setup_note(c)]:
        if cells.index(cell) != position - 1:
            cells.remove(cell)
            position = cells.index(setup)
    if not is_setup_note(cells[position - 1]):
        cells.insert(position, _new_cell(nb, "markdown", "preparacion-nota"))
        position += 1
    _set_source(cells[position - 1], SETUP_NOTE)
    return nb


def _new_cell(nb, cell_type, cell_id):
    """Devuelve una celda vacía del tipo pedido, con id si el formato del notebook lo usa."""
    import nbformat

    cell = {"cell_type": cell_type, "metadata": {}, "source": ""}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    if nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = cell_id
    return nbformat.from_dict(cell)


def colab_notebook(nb, nb_relpath, repo_url=None, branch=None):
    """Devuelve la copia para Colab de un notebook: imágenes y enlaces relativos pasan a direcciones absolutas.

    Las imágenes apuntan a raw.githubusercontent.com, los enlaces a otros notebooks abren su copia en Colab
    y los enlaces a otros ficheros llevan a su página de GitHub. Las salidas no cambian.
    """
    import copy

    nb = copy.deepcopy(nb)
    base = posixpath.dirname(Path(nb_relpath).as_posix())

    def absolute(url, is_image):
        if re.match(r"^([a-z][\w+.-]*:|#|/)", url):  # ya absoluta, ancla o ruta de servidor
            return url
        path, sep, fragment = url.partition("#")
        target = posixpath.normpath(posixpath.join(base, path))
        if target.startswith("../"):
            return url
        if is_image:
            new = raw_url(target, repo_url, branch)
        elif target.endswith(".ipynb"):
            new = colab_url(target, repo_url, branch)
        else:
            new = blob_url(target, repo_url, branch)
        return new + sep + fragment

    def html(match):
        url = absolute(match["url"], match["attr"] == "src")
        return f"{match['pre']}{match['q']}{url}{match['q']}"

    def md(match):
        return f"{match['pre']}{absolute(match['url'], bool(match['bang']))}{match['title'] or ''})"

    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            _set_source(cell, _MD_TARGET.sub(md, _HTML_ATTR.sub(html, _source(cell))))
    nb.setdefault("metadata", {})["gpt_desde_cero"] = {
        "copia_para_colab_de": Path(nb_relpath).as_posix(),
        "aviso": "Copia generada con `python -m tools.colab`: edita el original, no esta copia.",
    }
    return nb


def update_links(text, repo_url=None, branch=None, old_repos=()):
    """Apunta al repositorio configurado los enlaces de Colab (y las URL de old_repos) de un texto.

    Un enlace de Colab a notebooks/X.ipynb pasa a abrir su copia, colab/notebooks/X.ipynb.
    """
    repo_url, branch = _config(repo_url, branch)
    owner, repo = github_repo(repo_url)

    def colab(match):
        path = match["path"]
        if not path.startswith(COLAB_COPIES + "/"):
            path = colab_copy_path(path)
        return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"

    text = COLAB_LINK.sub(colab, text)
    for old in old_repos:
        old_owner, old_repo = github_repo(old)
        if (old_owner, old_repo) != (owner, repo):
            text = re.sub(rf"(github\.com/|githubusercontent\.com/){re.escape(old_owner)}/{re.escape(old_repo)}\b",
                          rf"\g<1>{owner}/{repo}", text)
    return text


def expected_files(root=None, repo_url=None, branch=None):
    """Devuelve {ruta: texto} de cada notebook sellado y de cada copia para Colab, como deben quedar."""
    import nbformat

    root = ROOT if root is None else Path(root)
    files = {}
    for path in notebook_paths(root):
        relpath = path.relative_to(root).as_posix()
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT)
        stamp_notebook(nb, relpath, repo_url, branch)
        files[path] = nbformat.writes(nb) + "\n"
        copy = colab_notebook(nb, relpath, repo_url, branch)
        files[root / colab_copy_path(relpath)] = nbformat.writes(copy) + "\n"
    return files


def main(root=None):
    """Sella los notebooks, regenera colab/ y pone al día el README.md; imprime lo que cambia."""
    root = ROOT if root is None else Path(root)
    github_repo(REPO_URL)  # falla pronto, con un mensaje claro, si no es de GitHub
    old_repos = _repos_in_use(root)
    files = expected_files(root)
    changed = []
    for path, text in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    copies = root / COLAB_COPIES
    for stale in sorted(copies.rglob("*.ipynb")) if copies.exists() else []:
        if stale not in files:
            stale.unlink()
            changed.append(stale)
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        new = update_links(text, old_repos=old_repos)
        if new != text:
            readme.write_text(new, encoding="utf-8")
            changed.append(readme)
    for path in changed:
        print(path.relative_to(root).as_posix())
    print(f"{len(changed)} ficheros actualizados para {REPO_URL} (rama {REPO_BRANCH}).")
    return changed


def _repos_in_use(root):
    """Devuelve las URL de repositorio que aparecen hoy en las celdas de preparación de los notebooks."""
    found = set()
    for path in notebook_paths(root):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if is_setup_cell(cell):
                found.update(re.findall(r'(?:REPO_URL|url) = "(https://github\.com/[^"]+)"', _source(cell)))
    return sorted(found)


def _repo_path(repo_url, branch, blob=True):
    """Devuelve "<dueño>/<repositorio>/blob/<rama>" (o sin "blob/", como en raw.githubusercontent.com)."""
    repo_url, branch = _config(repo_url, branch)
    owner, repo = github_repo(repo_url)
    return f"{owner}/{repo}/{'blob/' if blob else ''}{branch}"


def _config(repo_url, branch):
    """Devuelve la URL y la rama pedidas, o las configuradas en este módulo (leídas al llamar)."""
    return (REPO_URL if repo_url is None else repo_url), (REPO_BRANCH if branch is None else branch)


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _set_source(cell, text):
    cell["source"] = text


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit("Uso: python -m tools.colab   (sin argumentos; la URL se cambia en REPO_URL de tools/colab.py)")
    main()
