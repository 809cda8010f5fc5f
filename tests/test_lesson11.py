"""Pruebas de las preguntas «¿Lo has entendido?» del notebook 11: aceptan las formas razonables de la respuesta
correcta, reconocen los errores típicos y nunca muestran la solución."""

import json
import re

import pytest
from conftest import ROOT, assert_hint, assert_questions_in_notebook, assert_verdicts

from utils.bpe import BPETokenizer
from utils.exercises import lesson11


def test_respuestas_esperadas_salen_del_codigo():
    """Los valores correctos se calculan con el código del curso y son los que se esperan a mano."""
    assert lesson11.utf8_bytes() == 9  # 7 letras de ASCII y la ü, que ocupa dos bytes
    assert lesson11.num_merges() == 743
    tokenizer = BPETokenizer.train("la casa, las casas, la cosa, las cosas " * 50, vocab_size=260)
    assert len(tokenizer.vocab) - 256 == lesson11.num_merges(260, 1)


CASES = [
    (lesson11.evaluate_utf8_bytes, [9, "9", 9.0], [8, 10, 16, "nueve"]),
    (lesson11.evaluate_num_merges, [743, "743"], [744, 1000, 999, 742, "muchas"]),
    (lesson11.evaluate_why_bits_per_byte, ["c", "C", "c)", " (c) "], ["a", "b", "d", "e", "", "ninguna"]),
    (lesson11.evaluate_fewer_tokens, ["b", "B", "b)", " (b) "], ["a", "c", "d", "e", "", "ninguna"]),
]


@pytest.mark.parametrize("evaluate, right, wrong_answers", CASES, ids=[c[0].__name__ for c in CASES])
def test_acepta_respuestas_correctas_y_rechaza_errores(evaluate, right, wrong_answers):
    """Cada forma razonable de la respuesta correcta se acepta; cada error, no; sin respuesta, pide responder."""
    assert_verdicts(evaluate, right, wrong_answers)


@pytest.mark.parametrize("evaluate, answer, hint", [
    (lesson11.evaluate_utf8_bytes, 8, "caracteres"),
    (lesson11.evaluate_utf8_bytes, 16, "ASCII"),
    (lesson11.evaluate_num_merges, 744, "no sale de ninguna fusión"),
    (lesson11.evaluate_num_merges, 1000, "tokens con los que empieza"),
    (lesson11.evaluate_why_bits_per_byte, "d", "unidad"),
    (lesson11.evaluate_fewer_tokens, "a", "más caracteres"),
    (lesson11.evaluate_fewer_tokens, "c", "mismos parámetros"),
    (lesson11.evaluate_fewer_tokens, "d", "sube"),
])
def test_errores_tipicos_tienen_su_pista(evaluate, answer, hint):
    """Los errores típicos reciben una pista que apunta a su causa."""
    assert_hint(evaluate, answer, hint)


@pytest.mark.parametrize("evaluate", [c[0] for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_ningun_mensaje_muestra_la_solucion(evaluate):
    """Ni los aciertos ni los errores escriben la respuesta numérica."""
    for answer in [None, 0, 8, 744, 1000, "a", "b", "d"]:
        message = evaluate(answer).message
        assert "743" not in message and " 9 " not in message


def test_cada_pregunta_se_comprueba_en_su_notebook():
    """Cada evaluate_* de la lección se usa una vez en su notebook, sin responder (Ejecutar todo no falla)."""
    assert_questions_in_notebook(11, lesson11)


def test_la_pregunta_4_cita_los_tokens_que_imprime_la_seccion_14():
    """Los tokens de entrenamiento de la pregunta 4 (26 462 y 35 675) son los que imprime la celda que los mide."""
    cells = json.loads((ROOT / "notebooks" / "11_tokenizador_espanol.ipynb").read_text(encoding="utf-8"))["cells"]
    (question,) = ["".join(c["source"]) for c in cells if c.get("id") == "pregunta-4"]
    printed = [int(n) for c in cells if c["cell_type"] == "code" for output in c["outputs"]
               for n in re.findall(r"(\d+) tokens de entrenamiento", "".join(output.get("text", [])))]
    quoted = [int(n.replace(" ", "")) for n in re.findall(r"(\d{1,3}(?: \d{3})+) (?:tokens|con)", question)]
    assert sorted(printed) == sorted(quoted) == [26462, 35675]
