"""Prepara y abre el curso, o ejecuta todas sus pruebas, en un entorno virtual propio (.venv).

    python curso.py            instala lo necesario y abre el curso en JupyterLab
    python curso.py pruebas    instala lo necesario y ejecuta todas las pruebas (pytest + nbval)

Solo usa la biblioteca estándar, así que funciona con cualquier Python 3.11 o posterior. Un error sale
en una línea: con código 2 si la orden está mal escrita, con 1 si algo falló al ejecutarla.
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
# Caché de los ficheros del tokenizador GPT-2 (utils/tokenizer.py): dentro del repositorio, así que, a
# diferencia de la carpeta temporal que tiktoken usa por defecto, sobrevive a un reinicio.
TIKTOKEN_CACHE = ROOT / ".cache" / "tiktoken"
# JupyterLab sirve la raíz del repositorio (los notebooks y las figuras de imgs/, que enlazan como
# ../imgs/...) y se abre mostrando la carpeta notebooks/.
LAB_START_PAGE = "/lab/tree/notebooks"

USAGE = """Uso:
    python curso.py [opciones de JupyterLab]      instala lo necesario y abre el curso en JupyterLab
    python curso.py pruebas [opciones de pytest]  instala lo necesario y ejecuta todas las pruebas
    python curso.py --help                        muestra esta ayuda

JupyterLab se abre en la carpeta del curso, con la carpeta notebooks/ a la vista. Las opciones que
empiezan por guion pasan tal cual a JupyterLab; las más útiles:
    --port=8890        otro puerto, si el 8888 ya está ocupado
    --no-browser       no abre el navegador: abre tú la dirección con token que se imprime
    --ip=0.0.0.0       acepta conexiones de otros equipos (p. ej., desde un contenedor)
La lista completa: .venv/bin/jupyter lab --help-all (en Windows, .venv\\Scripts\\jupyter).
Para cerrar JupyterLab, pulsa Ctrl+C dos veces en esta terminal.

Ejemplos:
    python curso.py --port=8890 --no-browser
    python curso.py pruebas tests/test_gpt.py"""


def install():
    """Crea .venv si no existe e instala requirements.txt (no hace nada si ya está al día)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - este script puede ejecutarlo un Python antiguo
        sys.exit(f"El curso necesita Python 3.11 o posterior, y este es {sys.version.split()[0]}. "
                 "Instala uno más nuevo (https://www.python.org/downloads/) y ejecuta con él: python3.11 curso.py")
    venv_help = ("En Debian o Ubuntu suele faltar el módulo venv: instálalo con  sudo apt install python3-venv, "
                 "borra la carpeta .venv y vuelve a ejecutar este script.")
    if not PYTHON.exists():
        print("Creando el entorno virtual .venv ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except (subprocess.CalledProcessError, OSError) as err:
            sys.exit(f"No se pudo crear el entorno virtual .venv ({err}). {venv_help}")
    if not _has_pip():  # p. ej. un .venv a medias de un intento anterior sin ensurepip
        sys.exit(f"El entorno virtual .venv está incompleto: su Python no tiene pip. {venv_help}")
    stamp = VENV / ".requirements-instalados"
    wanted = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    print("Instalando los paquetes de requirements.txt (la primera vez tarda unos minutos) ...", flush=True)
    _run_or_exit([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.txt")],
                 "pip no pudo instalar los paquetes de requirements.txt (el motivo está en los mensajes de pip de "
                 "arriba). Comprueba la conexión a Internet y el espacio en disco, y vuelve a ejecutar este script: "
                 "lo ya instalado no se descarga otra vez.")
    stamp.write_text(wanted, encoding="utf-8")


def _has_pip():
    """Dice si el Python de .venv tiene pip."""
    done = subprocess.run([str(PYTHON), "-m", "pip", "--version"], capture_output=True)
    return done.returncode == 0


def _run_or_exit(command, message, env=None):
    """Ejecuta una orden en la raíz del curso y, si falla, termina con un mensaje en español."""
    if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
        sys.exit(message)


# Cuántas vueltas da un hilo de OpenMP (el de PyTorch en CPU) esperando a los demás antes de dormirse. Por
# defecto son unas 300 000: con otro programa ocupando la CPU, los hilos de PyTorch gastan su turno esperando
# a un compañero que no está en ejecución, y un paso de entrenamiento tardaba 50 veces más en vez del doble.
# Con 1000, en una máquina libre va un 5-10 % más despacio; con la CPU compartida, varias veces más deprisa.
OPENMP_SPIN = "1000"


def course_env():
    """Devuelve el entorno para JupyterLab y pytest: el actual, con TIKTOKEN_CACHE_DIR en la caché del curso
    y GOMP_SPINCOUNT=OPENMP_SPIN, para que PyTorch comparta bien la CPU con otros programas.

    Lo que ya tengas puesto (TIKTOKEN_CACHE_DIR no vacío, GOMP_SPINCOUNT u OMP_WAIT_POLICY) se respeta.
    """
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR") or str(TIKTOKEN_CACHE)}
    if not env.get("GOMP_SPINCOUNT") and not env.get("OMP_WAIT_POLICY"):
        env["GOMP_SPINCOUNT"] = OPENMP_SPIN
    return env


def prepare_tokenizer(env):
    """Deja los ficheros BPE de GPT-2 en la caché de tiktoken, para usarlo sin red (no hace nada si ya están)."""
    _run_or_exit([str(PYTHON), "-m", "utils.tokenizer"],
                 "No se pudo preparar el tokenizador de GPT-2 (el motivo está en el mensaje de arriba).", env=env)


def lab_command(extra=(), root_dir=ROOT):
    """Devuelve la orden que abre JupyterLab con la configuración del curso; python curso.py ejecuta esta.

    Parámetros:
        extra: opciones para JupyterLab (p. ej. ["--port=8890", "--no-browser"]), que van al final y mandan.
        root_dir: carpeta que sirve JupyterLab; la del curso (las pruebas del navegador usan una copia).

    JupyterLab sirve root_dir entera, para que las figuras (../imgs/...) de los notebooks carguen, y abre
    la carpeta notebooks/. La carpeta jupyter/ hace de carpeta de ajustes de la aplicación: su
    overrides.json pone la interfaz en español y quita los avisos que necesitan red, solo para este curso
    y sin tocar ~/.jupyter (lo que el alumno elija en Configuración manda sobre esos valores por defecto).
    """
    command = [str(PYTHON), "-m", "jupyter", "lab", f"--ServerApp.root_dir={root_dir}",
               f"--LabApp.default_url={LAB_START_PAGE}", f"--LabApp.app_settings_dir={ROOT / 'jupyter'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # p. ej., en un contenedor; Jupyter se niega si no se le dice
    return [*command, *extra]


def open_course(extra=()):
    """Abre JupyterLab, en español, con la carpeta notebooks/ a la vista; extra son opciones de JupyterLab."""
    env = course_env()
    prepare_tokenizer(env)
    os.chdir(ROOT)
    command = lab_command(extra)
    if os.name == "nt":  # en Windows, execv no reemplaza el proceso: Ctrl+C llegaría a medias
        sys.exit(subprocess.run(command, env=env).returncode)
    os.execve(command[0], command, env)


def run_tests(extra):
    """Ejecuta pytest: pruebas unitarias y nbval sobre cada notebook."""
    env = course_env()
    prepare_tokenizer(env)
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def usage_error(message):
    """Termina con un error de uso: una línea en stderr y el código 2, sin instalar nada."""
    print(f"error: {message}; más ayuda: python curso.py --help", file=sys.stderr)
    sys.exit(2)


def main(args):
    """Comprueba la orden antes de instalar nada (instalar puede tardar minutos) y la ejecuta."""
    if args[:1] in (["-h"], ["--help"], ["ayuda"]):
        print(USAGE)
        return
    if args and args[0] != "pruebas" and not args[0].startswith("-"):
        usage_error(f"Orden desconocida {args[0]!r}: las órdenes son python curso.py [opciones de JupyterLab] y "
                    "python curso.py pruebas [opciones de pytest]")
    if "pruebas" in args[1:] and args[0] != "pruebas":
        usage_error("«pruebas» va la primera: python curso.py pruebas [opciones de pytest]")
    install()
    if args[:1] == ["pruebas"]:
        run_tests(args[1:])
    else:
        open_course(args)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        print("\nInterrumpido (Ctrl+C). Vuelve a ejecutar la misma orden cuando quieras: lo ya instalado no se "
              "descarga otra vez.", file=sys.stderr)
        sys.exit(130)
    except OSError as err:  # p. ej. la carpeta del curso no admite escritura
        sys.exit(f"error: no se pudo usar {err.filename or 'un fichero del curso'!r} ({err.strerror or err}); "
                 "ejecuta curso.py desde una copia del curso en una carpeta tuya.")
