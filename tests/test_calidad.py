"""Calidad del texto y del código: ruff sin avisos y ortografía española sin palabras desconocidas."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import NOTEBOOKS, ROOT

WORDLISTS = ROOT / "tests" / "ortografia"


def test_ruff_sin_avisos():
    """ruff check no encuentra nada en curso.py, utils/, tools/, tests/, benchmarks/ ni en los notebooks."""
    folders = ("curso.py", "utils", "tools", "tests", "benchmarks", "notebooks")
    targets = [str(ROOT / d) for d in folders if (ROOT / d).exists()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *targets],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def _markdown_sources():
    """Pares (nombre, texto) de cada celda markdown, el README, MANTENIMIENTO.md y el glosario."""
    sources = []
    for name in ("README.md", "MANTENIMIENTO.md", "GLOSARIO.md"):
        path = ROOT / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if name == "GLOSARIO.md":  # la primera columna de la tabla es el término en inglés
                text = re.sub(r"^\|[^|\n]*\|", "|", text, flags=re.M)
            sources.append((name, text))
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                sources.append((f"{nb_path.relative_to(ROOT)}#{i}", "".join(cell["source"])))
    return sources


def _prose(text):
    """Quita de un markdown lo que no es prosa: código, fórmulas, HTML, direcciones y rutas."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    text = re.sub(r'<span lang="en">.*?</span>', " ", text, flags=re.S)  # texto marcado como inglés
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # deja el texto del enlace, quita el destino
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\S+\.(ipynb|py|png|md|txt|toml|json|cfg|bpe)\b", " ", text)
    return text


def _personal_dictionary(tmp_path):
    words = []
    for path in sorted(WORDLISTS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.append(line)
    dic = tmp_path / "palabras.dic"
    dic.write_text(f"{len(words)}\n" + "\n".join(words) + "\n", encoding="utf-8")
    return dic


def _hunspell_unknown(text, dic):
    """Devuelve las palabras de text que hunspell es_ES (más el diccionario personal dic) no conoce."""
    # -i UTF-8: con una configuración regional C o sin generar, hunspell partiría «canción» en «canci» y «n»
    result = subprocess.run(["hunspell", "-i", "UTF-8", "-d", "es_ES", "-p", str(dic), "-l"], input=text,
                            capture_output=True, text=True, encoding="utf-8", check=True)
    return sorted(set(result.stdout.split()))


def _require_hunspell(missing_tool):
    if shutil.which("hunspell") is None or not Path("/usr/share/hunspell/es_ES.dic").exists():
        missing_tool("hunspell con el diccionario es_ES no está instalado: apt-get install hunspell hunspell-es")


def test_ortografia_detecta_errores_y_acepta_tildes(tmp_path, missing_tool):
    """Control: el corrector marca una palabra mal escrita y acepta las palabras con tilde, ñ y ü."""
    _require_hunspell(missing_tool)
    dic = _personal_dictionary(tmp_path)
    assert _hunspell_unknown("La atencion mira cada canción, señal y cigüeña.", dic) == ["atencion"]


def test_ortografia_espanola(tmp_path, missing_tool):
    """hunspell es_ES no encuentra ninguna palabra desconocida (las técnicas están en tests/ortografia/)."""
    _require_hunspell(missing_tool)
    dic = _personal_dictionary(tmp_path)
    unknown = {}
    for name, text in _markdown_sources():
        words = _hunspell_unknown(_prose(text), dic)
        if words:
            unknown[name] = words
    assert not unknown, "Palabras desconocidas (corrígelas o añade las técnicas a tests/ortografia/):\n" + "\n".join(
        f"  {name}: {', '.join(words)}" for name, words in unknown.items()
    )
