"""Pone en cada notebook los metadatos que escribe el JupyterLab del curso, para que abrirlo no lo modifique.

Al abrir un notebook y arrancar su kernel, JupyterLab escribe en sus metadatos el kernelspec instalado
(`name`, `display_name`, `language`) y el `language_info` que le da el kernel. Si lo guardado no es igual
(p. ej. "Python 3" frente al "Python 3 (ipykernel)" que instala ipykernel), el notebook queda modificado
nada más abrirlo y el autoguardado lo reescribe. Ejecutarlo con nbconvert no arregla el kernelspec
(solo actualiza language_info), así que esto va después de reejecutar los notebooks:

    python -m tools.metadatos            reescribe los metadatos que difieren en notebooks/ y colab/
    python -m tools.metadatos --check    solo comprueba: lista los que difieren y termina con error

`language_info.version` es la versión de Python de quien ejecuta esto (la del kernel del curso). Con otra
versión de Python, JupyterLab la cambia al abrir: eso no se puede evitar desde el notebook.
Solo toca los metadatos de primer nivel `kernelspec` y `language_info`; el resto del fichero queda igual
byte a byte (mismo formato que nbformat: indent=1, claves ordenadas, UTF-8 sin escapar).
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "colab")
KERNEL_NAME = "python3"


def expected_metadata(kernel_name=KERNEL_NAME):
    """Devuelve {"kernelspec": ..., "language_info": ...} tal como los escribe JupyterLab con el kernel instalado.

    Parámetros:
        kernel_name: nombre del kernelspec que guardan los notebooks ("python3", el de ipykernel).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel as err:
        raise RuntimeError(
            f"No está instalado el kernel {kernel_name!r} de Jupyter; instala los requisitos del curso "
            "(python curso.py o pip install -r requirements.txt) y ejecuta esto con el Python de .venv."
        ) from err
    from ipykernel.ipkernel import IPythonKernel  # el language_info que responde el kernel

    return {
        "kernelspec": {"display_name": spec.display_name, "language": spec.language, "name": kernel_name},
        "language_info": json.loads(json.dumps(IPythonKernel.language_info)),
    }


def metadata_problems(metadata, expected, exact_version=True):
    """Devuelve una lista de textos, uno por clave de metadatos que JupyterLab cambiaría al abrir el notebook.

    Parámetros:
        metadata: los metadatos de primer nivel del notebook.
        expected: lo que da expected_metadata().
        exact_version: si es False, de language_info.version basta con que coincidan mayor y menor (3.11).
    """
    problems = []
    for key, want in expected.items():
        have = metadata.get(key)
        if key == "language_info" and not exact_version and isinstance(have, dict):
            have, want = dict(have), dict(want)
            have["version"] = ".".join(str(have.get("version", "")).split(".")[:2])
            want["version"] = ".".join(str(want["version"]).split(".")[:2])
        if have != want:
            problems.append(f"{key}: guardado {json.dumps(have, sort_keys=True, ensure_ascii=False)}, "
                            f"JupyterLab escribe {json.dumps(want, sort_keys=True, ensure_ascii=False)}")
    return problems


def notebook_files(root=ROOT):
    """Devuelve los notebooks de notebooks/ y colab/ (sin las copias de .ipynb_checkpoints), ordenados."""
    files = []
    for folder in FOLDERS:
        files += [p for p in (Path(root) / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(files)


def dumps(nb):
    """Escribe un notebook con el formato de nbformat (el que usan JupyterLab y nbconvert)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def normalize(path, expected):
    """Pone en un notebook los metadatos esperados; devuelve True si el fichero cambió."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    nb.setdefault("metadata", {}).update(json.loads(json.dumps(expected)))
    new = dumps(nb)
    if new == text:
        return False
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(new)
    return True


def main(argv=None):
    """Orden de línea: reescribe (o con --check solo comprueba) los metadatos de los notebooks."""
    parser = argparse.ArgumentParser(prog="python -m tools.metadatos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="solo comprueba; termina con error si algo difiere")
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks concretos (por defecto, todos los de notebooks/ y colab/)")
    args = parser.parse_args(argv)
    expected = expected_metadata()
    paths = args.paths or notebook_files()
    bad = 0
    for path in paths:
        if args.check:
            problems = metadata_problems(json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {}),
                                         expected)
            if problems:
                bad += 1
                print(f"{path}:\n  " + "\n  ".join(problems))
        elif normalize(path, expected):
            bad += 1
            print(f"metadatos actualizados: {path}")
    if args.check:
        print(f"{bad} de {len(paths)} notebooks con metadatos distintos de los de JupyterLab" if bad else
              f"Los {len(paths)} notebooks tienen los metadatos de JupyterLab.")
        return 1 if bad else 0
    print(f"{bad} de {len(paths)} notebooks actualizados.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
