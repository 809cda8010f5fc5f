"""Pruebas de las preguntas «¿Lo has entendido?» de los notebooks 6, 7 y 8: aceptan las formas razonables de
la respuesta correcta, reconocen los errores típicos y nunca muestran la solución."""

import pytest
import torch
from conftest import assert_hint, assert_questions_in_notebook, assert_verdicts

from utils.config import GPT_CONFIG_124M
from utils.exercises import lesson6, lesson7, lesson8


def test_respuestas_esperadas_salen_del_codigo():
    """Los valores correctos se calculan con el código del curso y son los que se esperan a mano."""
    assert lesson6.zeroed_block_choice() == "b"  # con las subcapas a cero, solo quedan los atajos
    assert lesson6.qkv_bias_extra() == 3 * 768
    assert lesson7.sliced_batch_shape() == (2, 2, 50257)
    assert lesson7.copied_weights_count() == 163_009_536  # copiar valores no comparte el Parameter
    assert lesson7.tying_counts() == (406_212_608, 406_212_608 - 50257 * 1024)
    assert lesson7.tying_counts(GPT_CONFIG_124M) == (163_009_536, 124_412_160)
    assert lesson8.kept_by_top_p() == 2  # 0,5 no llega a 0,7; 0,5 + 0,3 sí
    assert lesson8.short_context_shape() == (1, 4 + 5)


CASES = [
    (lesson6.evaluate_zeroed_block, ["b", "B", "b)", " (b) "], ["a", "c", "d", "e", ""]),
    (lesson6.evaluate_qkv_bias_extra, [2304, "2304", "2 304", torch.tensor(2304)], [768, 3072, 1_769_472, 27_648, "x"]),
    (lesson6.evaluate_heads_change_block_params, [False, "no", "No."], [True, "sí", "si", "quizá"]),
    (lesson7.evaluate_sliced_batch_shape, [(2, 2, 50257), "(2, 2, 50257)", torch.Size([2, 2, 50257])],
     [(2, 4, 50257), (2, 2, 768), (2, 50257), (2, 2), "grande"]),
    (lesson7.evaluate_copied_weights_count, [163_009_536, "163 009 536", "163.009.536"],
     [124_412_160, 38_597_376, 201_606_912, 0, "igual"]),
    (lesson7.evaluate_tying_savings, [51_463_168, "51 463 168", "51.463.168", "51,463,168"],
     [102_926_336, 51_513_425, 354_749_440, 1_048_576, 50257, 38_597_376, 51_000_000]),
    (lesson8.evaluate_top_p_count, [2, "2"], [1, 3, 4, 0]),
    (lesson8.evaluate_short_context_shape, [(1, 9), "(1, 9)", torch.Size([1, 9]), "1 x 9"],
     [(1, 7), (1, 5), (1, 2), (1, 4), (9,), "larga"]),
    (lesson8.evaluate_top_k_one_is_greedy, [True, "sí", "si", "Sí."], [False, "no", "depende"]),
]


@pytest.mark.parametrize("evaluate, right, wrong_answers", CASES, ids=[c[0].__name__ for c in CASES])
def test_acepta_respuestas_correctas_y_rechaza_errores(evaluate, right, wrong_answers):
    """Cada forma razonable de la respuesta correcta se acepta; cada error, no; sin respuesta, pide responder."""
    assert_verdicts(evaluate, right, wrong_answers)


@pytest.mark.parametrize("evaluate, answer, hint", [
    (lesson6.evaluate_zeroed_block, "a", "se suma a su atajo"),
    (lesson6.evaluate_zeroed_block, "c", "antes de normalizar"),
    (lesson6.evaluate_zeroed_block, "d", "la pasada funciona"),
    (lesson6.evaluate_qkv_bias_extra, 768, "tres proyecciones"),
    (lesson6.evaluate_qkv_bias_extra, 3072, "out_proj ya tenía"),
    (lesson6.evaluate_qkv_bias_extra, 27_648, "un solo bloque"),
    (lesson7.evaluate_sliced_batch_shape, (2, 4, 50257), "lote entero"),
    (lesson7.evaluate_sliced_batch_shape, (2, 2, 768), "out_head"),
    (lesson7.evaluate_copied_weights_count, 124_412_160, "el mismo objeto"),
    (lesson7.evaluate_copied_weights_count, 38_597_376, "una sola matriz"),
    (lesson7.evaluate_tying_savings, 102_926_336, "queda una"),
    (lesson7.evaluate_tying_savings, 51_513_425, "no tiene sesgo"),
    (lesson7.evaluate_tying_savings, 354_749_440, "total que queda"),
    (lesson7.evaluate_tying_savings, 38_597_376, "GPT-2 (124M)"),
    (lesson8.evaluate_top_p_count, 1, "aún no llega"),
    (lesson8.evaluate_top_p_count, 3, "te sobra un token"),
    (lesson8.evaluate_short_context_shape, (1, 7), "no lo que devuelve"),
    (lesson8.evaluate_short_context_shape, (1, 5), "empieza por los ids de partida"),
])
def test_nombra_el_error_tipico(evaluate, answer, hint):
    """Los errores típicos reciben una pista que los nombra."""
    assert_hint(evaluate, answer, hint)


@pytest.mark.parametrize("evaluate, answer, solution", [
    (lesson6.evaluate_qkv_bias_extra, 768, "2304"),
    (lesson7.evaluate_sliced_batch_shape, (2, 4, 50257), "(2, 2, 50257)"),
    (lesson7.evaluate_copied_weights_count, 124_412_160, "163"),
    (lesson7.evaluate_tying_savings, 102_926_336, "51"),
    (lesson8.evaluate_top_p_count, 3, "2"),
    (lesson8.evaluate_short_context_shape, (1, 7), "(1, 9)"),
])
def test_no_muestra_la_solucion(evaluate, answer, solution):
    """Un mensaje de error no contiene la respuesta correcta."""
    assert solution not in evaluate(answer).message


@pytest.mark.parametrize("number, module", [(6, lesson6), (7, lesson7), (8, lesson8)])
def test_cada_pregunta_se_comprueba_en_su_notebook(number, module):
    """Cada evaluate_* de la lección se usa una vez en su notebook, sin responder (Ejecutar todo no falla)."""
    assert_questions_in_notebook(number, module)


def test_las_comprobaciones_siguen_al_codigo(monkeypatch):
    """Si el filtro top-p conservara un token más, la respuesta «correcta» cambiaría: se calcula, no se copia."""
    real = lesson8.top_p_filter

    def keeps_one_more(logits, p):
        out = real(logits, p)
        out[torch.isneginf(out).nonzero()[0]] = 0.0
        return out

    monkeypatch.setattr(lesson8, "top_p_filter", keeps_one_more)
    assert lesson8.evaluate_top_p_count(3).status == "correct"
