"""Las figuras de imgs/ las dibuja el código del repositorio y los notebooks solo enlazan figuras que existen."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import NOTEBOOKS, ROOT
from PIL import Image

from tools.figures import save
from tools.figures.__main__ import all_figures

FIGURES = all_figures()


def test_cada_png_tiene_su_codigo():
    """Cada PNG de imgs/ lo produce una función de tools/figures (nadie puede regenerar uno que no)."""
    orphans = sorted(p.name for p in (ROOT / "imgs").glob("*.png") if p.name not in FIGURES)
    assert not orphans, f"PNG sin código que los dibuje: {orphans}"


def test_cada_figura_registrada_esta_generada():
    """Cada figura registrada existe en imgs/ (ejecuta python -m tools.figures si falta)."""
    missing = sorted(name for name in FIGURES if not (ROOT / "imgs" / name).exists())
    assert not missing, f"Faltan en imgs/: {missing}; ejecuta python -m tools.figures"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_la_figura_se_dibuja_a_700_px_y_es_la_de_imgs(name, tmp_path):
    """La función dibuja sin errores una imagen de al menos 700 px de ancho, igual (salvo el suavizado de las
    fuentes, que cambia un poco entre máquinas) a la guardada en imgs/: nadie cambió el código sin redibujar."""
    save(FIGURES[name](), tmp_path / name)
    with Image.open(tmp_path / name) as new, Image.open(ROOT / "imgs" / name) as stored:
        assert new.width >= 700, f"{name} mide {new.width} px de ancho"
        assert new.size == stored.size, (
            f"imgs/{name} mide {stored.size} y el código dibuja {new.size}: ejecuta python -m tools.figures {name}")
        diff = np.abs(np.asarray(new.convert("L"), dtype=float) - np.asarray(stored.convert("L"), dtype=float))
        changed = float((diff > 64).mean())
        assert changed < 0.002, (
            f"imgs/{name} no es lo que dibuja el código ({changed:.1%} de píxeles distintos): "
            f"ejecuta python -m tools.figures {name}")


def test_cada_figura_sale_en_algun_notebook():
    """Cada PNG de imgs/ lo muestra al menos un notebook: no quedan figuras huérfanas."""
    shown = {Path(src).name for _, src in _image_refs()}
    unused = sorted(p.name for p in (ROOT / "imgs").glob("*.png") if p.name not in shown)
    assert not unused, f"Figuras que ningún notebook muestra: {unused}"


def _image_refs():
    refs = []
    for nb_path in NOTEBOOKS:
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for src in re.findall(r'<img[^>]*src="([^"]+)"', text) + re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text):
                refs.append((nb_path, src))
    return refs


def test_las_imagenes_enlazadas_existen_y_tienen_texto_alternativo():
    """Toda imagen de un notebook apunta a un fichero que existe y lleva alt."""
    problems = []
    for nb_path, src in _image_refs():
        if src.startswith("http"):
            continue
        if not (nb_path.parent / src).resolve().exists():
            problems.append(f"{nb_path.name}: {src} no existe")
    for nb_path in NOTEBOOKS:
        text = nb_path.read_text(encoding="utf-8")
        for tag in re.findall(r"<img[^>]*>", text):
            if 'alt=\\"' not in tag and 'alt="' not in tag:
                problems.append(f"{nb_path.name}: imagen sin alt: {tag[:80]}")
    assert not problems, "\n".join(problems)
