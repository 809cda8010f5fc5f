"""Celda de preparación común a todos los notebooks, y la URL del repositorio en un solo sitio.

Para apuntar el curso a otro repositorio (por ejemplo, el fork de un docente), cambia REPO_URL y
ejecuta desde la raíz del repositorio:

    python -m utils.colab

que reescribe la primera celda de código de cada notebook y los enlaces «Abrir en Colab».
"""

from pathlib import Path

REPO_URL = "https://github.com/gpt-desde-cero/gpt-desde-cero"
REPO_BRANCH = "main"

SETUP_CELL_TEMPLATE = '''\
# Preparación del entorno: en local solo hace importable el paquete `utils` del curso;
# en Google Colab, antes descarga el curso e instala lo que Colab no trae.
import subprocess
import sys
from pathlib import Path

REPO_URL = "{repo_url}"
if "google.colab" in sys.modules:
    raiz = Path("/content/gpt-desde-cero")
    if not raiz.exists():
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, str(raiz)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                        str(raiz / "requirements-colab.txt")], check=True)
else:
    raiz = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "utils" / "gpt.py").is_file())
if str(raiz) not in sys.path:
    sys.path.insert(0, str(raiz))

from utils.tokenizer import install_gpt2_bpe_files  # noqa: E402

install_gpt2_bpe_files()  # tiktoken.get_encoding("gpt2") funcionará también sin red'''


def setup_cell_source(repo_url=REPO_URL):
    """Devuelve el código de la celda de preparación para el repositorio dado."""
    return SETUP_CELL_TEMPLATE.format(repo_url=repo_url)


def notebook_paths(root=None):
    """Devuelve todos los notebooks del curso, ordenados."""
    root = Path(__file__).resolve().parent.parent if root is None else Path(root)
    return sorted(p for p in (root / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
