"""Las figuras de imgs/ las dibuja el código del repositorio y los notebooks solo enlazan figuras que existen."""

import json
import re

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
def test_la_figura_se_dibuja_y_se_lee_a_700_px(name, tmp_path):
    """La función dibuja sin errores una imagen de al menos 700 px de ancho."""
    save(FIGURES[name](), tmp_path / name)
    with Image.open(tmp_path / name) as img:
        assert img.width >= 700, f"{name} mide {img.width} px de ancho"


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
