"""Pruebas de las preguntas «¿Lo has entendido?» del notebook 5: aceptan las formas razonables de la respuesta
correcta, reconocen los errores típicos y nunca muestran la solución."""

import pytest
import torch
from conftest import assert_hint, assert_questions_in_notebook, assert_verdicts

from utils.exercises import lesson5


def test_respuestas_esperadas_salen_del_codigo():
    """Los valores correctos se calculan con el código del curso y son los que se esperan a mano."""
    assert lesson5.scores_shape() == (8, 12, 4, 4)
    assert lesson5.unchanged_rows_without_mask() == ["step"]  # el último token ya lo veía todo
    assert lesson5.zero_fill_future_weight() > 0.5  # con 0 en vez de -inf, el futuro sigue pesando
    assert lesson5.dropout_survivor_value() == pytest.approx(1 / (1 - 0.2))


def test_las_comprobaciones_no_cambian_la_semilla():
    """Comprobar una respuesta no altera los números aleatorios de quien aprende."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lesson5.evaluate_dropout_scale(1.25)
    lesson5.evaluate_unmasked_row("step")
    torch.testing.assert_close(torch.rand(3), expected)


CASES = [
    (lesson5.evaluate_scores_shape, [(8, 12, 4, 4), [8, 12, 4, 4], torch.Size([8, 12, 4, 4]), "(8, 12, 4, 4)",
                                     "8 x 12 x 4 x 4"],
     [(8, 4, 12, 12), (8, 12, 64, 64), (8, 12, 1024, 1024), (8, 4, 4), (8, 12, 4, 64), (12, 4, 4), "forma"]),
    (lesson5.evaluate_unmasked_row, ["step", "Step", "«step»", " step. ", "la última"],
     ["Your", "journey", "starts", "with", "one", "paso", 6]),
    (lesson5.evaluate_mask_bug, ["b", "B", "b)", "(b)"], ["a", "c", "d", "e", ""]),
    (lesson5.evaluate_dropout_scale, [1.25, "1,25", "1.25", torch.tensor(1.25)], [0.8, 5, 2, 1, 0.2, 0, "mucho"]),
]


@pytest.mark.parametrize("evaluate, right, wrong_answers", CASES, ids=[c[0].__name__ for c in CASES])
def test_acepta_respuestas_correctas_y_rechaza_errores(evaluate, right, wrong_answers):
    """Cada forma razonable de la respuesta correcta se acepta; cada error, no; sin respuesta, pide responder."""
    assert_verdicts(evaluate, right, wrong_answers)


@pytest.mark.parametrize("evaluate, answer, hint", [
    (lesson5.evaluate_scores_shape, (8, 4, 12, 12), "transpose(1, 2)"),
    (lesson5.evaluate_scores_shape, (8, 12, 64, 64), "otro orden"),
    (lesson5.evaluate_scores_shape, (8, 12, 1024, 1024), "context_length"),
    (lesson5.evaluate_scores_shape, (8, 4, 4), "dimensión de las cabezas"),
    (lesson5.evaluate_scores_shape, (8, 12, 4, 64), "forma de queries"),
    (lesson5.evaluate_unmasked_row, "Your", "más cambia"),
    (lesson5.evaluate_unmasked_row, "journey", "después de él"),
    (lesson5.evaluate_mask_bug, "c", "raíz de d_k"),
    (lesson5.evaluate_dropout_scale, 0.8, "probabilidad de sobrevivir"),
    (lesson5.evaluate_dropout_scale, 5, "entre p"),
    (lesson5.evaluate_dropout_scale, 2, "p = 0,5"),
])
def test_nombra_el_error_tipico(evaluate, answer, hint):
    """Los errores típicos reciben una pista que los nombra."""
    assert_hint(evaluate, answer, hint)


@pytest.mark.parametrize("evaluate, answer, solution", [
    (lesson5.evaluate_scores_shape, (8, 4, 12, 12), "(8, 12, 4, 4)"),
    (lesson5.evaluate_unmasked_row, "Your", "step"),
    (lesson5.evaluate_mask_bug, "a", "b)"),
    (lesson5.evaluate_dropout_scale, 0.8, "1,25"),
    (lesson5.evaluate_dropout_scale, 0.8, "1.25"),
])
def test_no_muestra_la_solucion(evaluate, answer, solution):
    """Un mensaje de error no contiene la respuesta correcta."""
    assert solution not in evaluate(answer).message


def test_cada_pregunta_se_comprueba_en_su_notebook():
    """Cada evaluate_* de la lección se usa una vez en su notebook, sin responder (Ejecutar todo no falla)."""
    assert_questions_in_notebook(5, lesson5)


def test_las_comprobaciones_siguen_al_codigo(monkeypatch):
    """Si la máscara pusiera -inf (sin error), la línea b) dejaría de ser la respuesta: se calcula, no se copia."""
    monkeypatch.setattr(lesson5, "zero_fill_future_weight", lambda: 0.0)
    assert lesson5.evaluate_mask_bug("b").status == "wrong"
