"""Una sola fuente de verdad: la celda final de cada notebook y el módulo de utils/ son iguales.

Cada celda que empieza por `# utils/<módulo>.py` debe definir cada `class`, `def` y constante en
MAYÚSCULAS exactamente igual que ese módulo (se comparan con ast.unparse, sin comentarios).
"""

import ast
import difflib
import json
import re

import pytest
from conftest import NOTEBOOKS, ROOT

HEADER = re.compile(r"^# (utils/[\w/]+\.py)\s*$")


def _sync_cells():
    cells = []
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            first = source.splitlines()[0] if source else ""
            match = HEADER.match(first)
            if match:
                cells.append(pytest.param(nb_path, i, match.group(1), source,
                                          id=f"{nb_path.relative_to(ROOT)}#{i}->{match.group(1)}"))
    return cells


def _definitions(source):
    """Devuelve {nombre: código normalizado} de las clases, funciones y constantes de nivel superior."""
    defs = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            defs[node.name] = ast.unparse(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    defs[target.id] = ast.unparse(node)
    return defs


def test_hay_celdas_sincronizadas():
    """Al menos un notebook enseña código de utils/ con su celda final marcada."""
    assert _sync_cells(), "Ningún notebook tiene una celda que empiece por '# utils/<módulo>.py'."


@pytest.mark.parametrize("nb_path, index, module, source", _sync_cells())
def test_celda_final_igual_que_utils(nb_path, index, module, source):
    """Cada definición de la celda es idéntica a la del módulo que nombra su cabecera."""
    module_path = ROOT / module
    assert module_path.is_file(), f"{nb_path.name}: la celda {index} nombra {module}, que no existe."
    in_cell = _definitions(source)
    assert in_cell, f"{nb_path.name}: la celda {index} no define ninguna clase, función ni constante."
    in_module = _definitions(module_path.read_text(encoding="utf-8"))
    problems = []
    for name, code in in_cell.items():
        if name not in in_module:
            problems.append(f"'{name}' está en el notebook pero no en {module}")
        elif code != in_module[name]:
            diff = difflib.unified_diff(in_module[name].splitlines(), code.splitlines(),
                                        f"{module}:{name}", f"{nb_path.name}:{name}", lineterm="")
            problems.append("\n".join(diff))
    assert not problems, "\n\n".join(problems)


# Los módulos que construye el curso, notebook a notebook: cada uno debe enseñarse en alguna celda final.
COURSE_MODULES = ["utils/config.py", "utils/layers.py", "utils/attention.py", "utils/gpt.py", "utils/generation.py",
                  "utils/sampling.py", "utils/kv_cache.py"]


@pytest.mark.parametrize("module", COURSE_MODULES)
def test_cada_modulo_del_curso_tiene_su_celda_final(module):
    """Cada módulo del curso aparece en la celda final de algún notebook: si alguien borra o cambia la
    cabecera, la comparación no desaparece en silencio."""
    shown = {param.values[2] for param in _sync_cells()}
    assert module in shown, f"Ningún notebook tiene una celda que empiece por '# {module}'."


def test_la_comparacion_detecta_un_docstring_cambiado():
    """Control: cambiar solo el docstring de una definición la hace distinta (los comentarios, no)."""
    original = 'def f(x):\n    """Devuelve x."""\n    return x  # comentario\n'
    assert _definitions(original) == _definitions(original.replace("# comentario", "# otro"))
    assert _definitions(original) != _definitions(original.replace("Devuelve x.", "Devuelve x dos veces."))
