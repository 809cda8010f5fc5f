"""Regenera todas las figuras de imgs/: python -m tools.figures [nombre.png ...]"""

import importlib
import pkgutil
import sys
from pathlib import Path

import tools.figures as figures_pkg
from tools.figures import save

IMGS = Path(__file__).resolve().parents[2] / "imgs"


def all_figures():
    """Devuelve {nombre del PNG: función} de todos los módulos del paquete."""
    found = {}
    for info in sorted(pkgutil.iter_modules(figures_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"tools.figures.{info.name}")
        for name, func in getattr(module, "FIGURES", {}).items():
            if name in found:
                raise ValueError(f"La figura {name} está definida dos veces.")
            found[name] = func
    return found


def main(names):
    IMGS.mkdir(exist_ok=True)
    figures = all_figures()
    unknown = sorted(set(names) - set(figures))
    if unknown:
        raise SystemExit(f"No hay ninguna figura llamada {unknown}; las que existen: {sorted(figures)}")
    for name in names or sorted(figures):
        save(figures[name](), IMGS / name)
        print(f"imgs/{name}")


if __name__ == "__main__":
    main(sys.argv[1:])
