"""Prepara y abre el curso, o ejecuta todas sus pruebas, en un entorno virtual propio (.venv).

    python curso.py            instala lo necesario y abre el curso en JupyterLab
    python curso.py pruebas    instala lo necesario y ejecuta todas las pruebas (pytest + nbval)

Solo usa la biblioteca estándar, así que funciona con cualquier Python 3.11 o posterior.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def install():
    """Crea .venv si no existe e instala requirements.txt (no hace nada si ya está al día)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - este script puede ejecutarlo un Python antiguo
        sys.exit(f"El curso necesita Python 3.11 o posterior, y este es {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creando el entorno virtual .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".requirements-instalados"
    wanted = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    print("Instalando los paquetes de requirements.txt (la primera vez tarda unos minutos) ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.txt")], check=True)
    subprocess.run([str(PYTHON), "-m", "utils.tokenizer"], check=True, cwd=ROOT)  # tokenizador sin red
    stamp.write_text(wanted, encoding="utf-8")


def lab_command(root_dir=ROOT, *extra):
    """Devuelve la orden que abre JupyterLab con la configuración del curso.

    La carpeta jupyter/ hace de carpeta de ajustes de la aplicación: su overrides.json pone la interfaz
    en español y quita los avisos que necesitan red, solo para este curso y sin tocar ~/.jupyter (lo
    que el alumno elija en Configuración manda sobre esos valores por defecto).
    """
    command = [str(PYTHON), "-m", "jupyter", "lab", f"--ServerApp.root_dir={root_dir}",
               f"--LabApp.app_settings_dir={ROOT / 'jupyter'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # p. ej., en un contenedor; Jupyter se niega si no se le dice
    return [*command, *extra]


def open_course():
    """Abre JupyterLab, en español, en la carpeta notebooks/."""
    os.chdir(ROOT)
    command = lab_command(ROOT, "notebooks/")
    os.execv(command[0], command)


def run_tests(extra):
    """Ejecuta pytest: pruebas unitarias y nbval sobre cada notebook."""
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)
    sys.exit(result.returncode)


if __name__ == "__main__":
    args = sys.argv[1:]
    install()
    if args[:1] == ["pruebas"]:
        run_tests(args[1:])
    elif not args:
        open_course()
    else:
        sys.exit(f"Orden desconocida {args[0]!r}. Usa: python curso.py  o  python curso.py pruebas")
