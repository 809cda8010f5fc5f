"""Pruebas de las preguntas «¿Lo has entendido?» de los notebooks 6, 6 y 7: aceptan las formas razonables de
la respuesta correcta, reconocen los errores típicos y nunca muestran la solución."""

import pytest
import torch

from utils.config import GPT_CONFIG_124M
from utils.exercises import lesson6, lesson7, lesson8
from utils.exercises.common import UNANSWERED_MESSAGE


def _status(verdict):
    return verdict.status


def test_respuestas_esperadas_salen_del_codigo():
    """Los valores correctos se calculan con el código del curso y son los que se esperan a mano."""
    assert lesson6.head_dim() == 768 // 16 == 48
    assert lesson6.nonzero_weights() == 6 * 7 // 2 == 21
    assert f"{lesson7.float32_mib():.2f}" == "381.47"
    assert lesson7.tying_counts() == (406_212_608, 406_212_608 - 50257 * 1024)
    assert lesson7.tying_counts(GPT_CONFIG_124M) == (163_009_536, 124_412_160)
    assert lesson8.kept_by_top_p() == 2  # 0,5 no llega a 0,7; 0,5 + 0,3 sí
    assert lesson8.flatter_temperature() == 10.0


CASES = [
    (lesson6.evaluate_head_dim, [48, 48.0, "48", torch.tensor(48)], [64, 768, 16, 12288, "cuarenta"]),
    (lesson6.evaluate_nonzero_weights, [21, "21", torch.tensor(21)], [36, 15, 6, 42, "veintiuno"]),
    (lesson6.evaluate_heads_change_params, [False, "no", "No."], [True, "sí", "si", "quizá"]),
    (lesson7.evaluate_float32_mib, [381.47, "381,47", "381.5", 381.4697265625, "381,47 MiB"],
     [400, 95.37, 0.3725, 3051.76, 190.73, "mucho"]),
    (lesson7.evaluate_tying_savings, [51_463_168, "51 463 168", "51.463.168", "51,463,168"],
     [102_926_336, 51_513_425, 354_749_440, 1_048_576, 50257, 38_597_376, 51_000_000]),
    (lesson8.evaluate_top_p_count, [2, "2"], [1, 3, 4, 0]),
    (lesson8.evaluate_flatter_temperature, [10, 10.0, "10"], [0.1, "0,1", 1, "alta"]),
    (lesson8.evaluate_top_k_one_is_greedy, [True, "sí", "si", "Sí."], [False, "no", "depende"]),
]


@pytest.mark.parametrize("evaluate, right, wrong_answers", CASES, ids=[c[0].__name__ for c in CASES])
def test_acepta_respuestas_correctas_y_rechaza_errores(evaluate, right, wrong_answers):
    """Cada forma razonable de la respuesta correcta se acepta; cada error, no."""
    for answer in right:
        assert _status(evaluate(answer)) == "correct", answer
    for answer in wrong_answers:
        assert _status(evaluate(answer)) == "wrong", answer


@pytest.mark.parametrize("evaluate", [c[0] for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_sin_respuesta_pide_responder(evaluate):
    """None (la celda tal como viene) da el mensaje de «todavía no has respondido»."""
    verdict = evaluate(None)
    assert verdict.status == "unanswered" and verdict.message == UNANSWERED_MESSAGE


@pytest.mark.parametrize("evaluate, answer, hint", [
    (lesson6.evaluate_head_dim, 64, "12 cabezas"),
    (lesson6.evaluate_head_dim, 768, "toda la proyección"),
    (lesson6.evaluate_nonzero_weights, 36, "sin máscara"),
    (lesson6.evaluate_nonzero_weights, 15, "diagonal"),
    (lesson7.evaluate_float32_mib, 400, "un millón"),
    (lesson7.evaluate_float32_mib, 95.37, "4 bytes"),
    (lesson7.evaluate_float32_mib, 0.3725, "GiB"),
    (lesson7.evaluate_tying_savings, 102_926_336, "queda una"),
    (lesson7.evaluate_tying_savings, 51_513_425, "no tiene sesgo"),
    (lesson7.evaluate_tying_savings, 354_749_440, "total que queda"),
    (lesson7.evaluate_tying_savings, 38_597_376, "GPT-2 (124M)"),
    (lesson8.evaluate_top_p_count, 1, "aún no llega"),
    (lesson8.evaluate_top_p_count, 3, "te sobra un token"),
    (lesson8.evaluate_flatter_temperature, 0.1, "número pequeño"),
])
def test_nombra_el_error_tipico(evaluate, answer, hint):
    """Los errores típicos reciben una pista que los nombra."""
    verdict = evaluate(answer)
    assert verdict.status == "wrong" and hint in verdict.message, verdict.message


@pytest.mark.parametrize("evaluate, answer, solution", [
    (lesson6.evaluate_head_dim, 64, "48"),
    (lesson6.evaluate_nonzero_weights, 36, "21"),
    (lesson7.evaluate_float32_mib, 400, "381"),
    (lesson7.evaluate_tying_savings, 102_926_336, "51"),
    (lesson8.evaluate_top_p_count, 3, "2"),
])
def test_no_muestra_la_solucion(evaluate, answer, solution):
    """Un mensaje de error no contiene la respuesta correcta."""
    assert solution not in evaluate(answer).message


def test_las_comprobaciones_siguen_al_codigo(monkeypatch):
    """Si el filtro top-p conservara un token más, la respuesta «correcta» cambiaría: se calcula, no se copia."""
    real = lesson8.top_p_filter

    def keeps_one_more(logits, p):
        out = real(logits, p)
        out[torch.isneginf(out).nonzero()[0]] = 0.0
        return out

    monkeypatch.setattr(lesson8, "top_p_filter", keeps_one_more)
    assert lesson8.evaluate_top_p_count(3).status == "correct"
