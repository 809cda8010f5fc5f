"""Pruebas de las preguntas «¿Lo has entendido?» de los notebooks 1 a 4: aceptan las respuestas correctas
escritas de varias formas, dan a cada error típico su pista, nunca muestran la solución y, sin respuesta,
piden que se responda."""

import pytest
import torch
import torch.nn as nn
from conftest import assert_questions_in_notebook

from utils.config import GPT_CONFIG_124M
from utils.exercises import lesson1, lesson2, lesson3, lesson4
from utils.exercises.common import CHECK_CFG, UNANSWERED_MESSAGE
from utils.gpt import GPTModel
from utils.layers import GELU, LayerNorm

ALL_EVALUATORS = [
    lesson1.evaluate_logits_shape, lesson1.evaluate_pos_emb_params,
    lesson2.evaluate_broadcast_shape, lesson2.evaluate_scale_shift, lesson2.evaluate_bug_line,
    lesson3.evaluate_hidden_shape, lesson3.evaluate_gelu_values, lesson3.evaluate_ff_2d_shape,
    lesson4.evaluate_shortcut_derivative, lesson4.evaluate_shortcut_count, lesson4.evaluate_zeroed_layer,
]


def _number_spellings(n):
    """Las formas en que alguien puede escribir el número n: sin separar, con espacios, comas o guiones bajos."""
    return [str(n), f"{n:,}".replace(",", " "), f"{n:,}", f"{n:_}", f"{n:,}".replace(",", ".")]


def _assert_no_leak(verdict, *answers):
    """El mensaje no contiene la solución en ninguna de sus formas escritas."""
    for answer in answers:
        for spelling in ([str(answer)] if isinstance(answer, tuple) else _number_spellings(answer)):
            assert spelling not in verdict.message, f"el mensaje enseña la solución {spelling!r}: {verdict.message}"


def _wrong_with(verdict, fragment):
    assert verdict.status == "wrong", verdict
    assert fragment in verdict.message, verdict.message


@pytest.mark.parametrize("evaluate", ALL_EVALUATORS, ids=lambda f: f.__name__)
def test_sin_respuesta_pide_que_se_responda(evaluate):
    """Con la respuesta de partida (None), cada pregunta dice que falta responder: el notebook no falla."""
    verdict = evaluate(None)
    assert verdict.status == "unanswered" and verdict.message == UNANSWERED_MESSAGE


@pytest.mark.parametrize("evaluate", ALL_EVALUATORS, ids=lambda f: f.__name__)
def test_basura_no_lanza_excepcion(evaluate):
    """Una respuesta que no se puede leer da un veredicto «wrong» con una explicación, nunca una excepción."""
    for junk in ("no sé", "", object(), [1, "dos"], float("nan"), {"x": 1}):
        verdict = evaluate(junk)
        assert verdict.status == "wrong" and verdict.message


# ----------------------------------------------------------------------------------------------- lección 1

def test_forma_de_los_logits_coincide_con_un_modelo_de_verdad():
    """La forma que se da por buena es la que devuelve un GPTModel de verdad con un lote de 3 × 6."""
    torch.manual_seed(0)
    logits = GPTModel(CHECK_CFG).eval()(torch.randint(0, CHECK_CFG["vocab_size"], (3, 6)))
    assert lesson1.evaluate_logits_shape(logits.shape, cfg=CHECK_CFG).status == "correct"
    assert lesson1.logits_shape(CHECK_CFG) == tuple(logits.shape)


@pytest.mark.parametrize("answer", [(3, 6, 50257), [3, 6, 50257], torch.Size([3, 6, 50257]), "(3, 6, 50257)",
                                    "3 x 6 x 50 257", "torch.Size([3, 6, 50257])", ("3", "6", "50 257")])
def test_forma_de_los_logits_acepta_varias_escrituras(answer):
    verdict = lesson1.evaluate_logits_shape(answer)
    assert verdict.status == "correct", verdict


@pytest.mark.parametrize("answer, fragment", [
    ((3, 6, 768), "recorren los bloques"), ((3, 6), "la forma de la entrada"), ((3, 50257), "una por cada posición"),
    ((6, 3, 50257), "primero va el lote"), ((2, 4, 50257), "lote del notebook"), ((3, 6, 1024), "context_length"),
    ((18, 50257), "una sola dimensión"), ((3, 6, 50256), "cuenta bien el vocabulario"), ((1, 2, 3), "Repasa"),
])
def test_forma_de_los_logits_errores_tipicos(answer, fragment):
    verdict = lesson1.evaluate_logits_shape(answer)
    _wrong_with(verdict, fragment)
    _assert_no_leak(verdict, (3, 6, 50257))


def test_parametros_de_pos_emb_coinciden_con_el_modelo():
    """El recuento de referencia es el de pos_emb en un GPTModel con context_length = 2048."""
    with torch.device("meta"):
        model = GPTModel({**GPT_CONFIG_124M, "context_length": 2048})
    assert lesson1.pos_emb_params() == model.pos_emb.weight.numel()


@pytest.mark.parametrize("answer", [*_number_spellings(1_572_864), 1_572_864, torch.tensor(1_572_864), 2048 * 768])
def test_parametros_de_pos_emb_correctos(answer):
    assert lesson1.evaluate_pos_emb_params(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    (786_432, "GPT_CONFIG_124M"), (2048, "un vector entero"), (768, "una sola fila"),
    (2048 * 50257, "no por token"), (50257 * 768, "tok_emb"), (2049 * 768, "sesgo"),
    (1_500_000, "Piensa en pos_emb"), (1500000.5, "entero"),
])
def test_parametros_de_pos_emb_errores_tipicos(answer, fragment):
    verdict = lesson1.evaluate_pos_emb_params(answer)
    _wrong_with(verdict, fragment)
    _assert_no_leak(verdict, 1_572_864)


# ----------------------------------------------------------------------------------------------- lección 2

def test_forma_con_difusion_medida_en_la_capa():
    """La referencia sale de aplicar LayerNorm(768) a una entrada (2, 4, 1): la difusión da (2, 4, 768)."""
    assert lesson2.broadcast_shape() == tuple(LayerNorm(768)(torch.randn(2, 4, 1)).shape) == (2, 4, 768)


@pytest.mark.parametrize("answer", [(2, 4, 768), "(2, 4, 768)", torch.Size([2, 4, 768]), "2 x 4 x 768"])
def test_forma_con_difusion_correcta(answer):
    assert lesson2.evaluate_broadcast_shape(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ("error", "no comprueba la forma"), ("Da un error", "no comprueba la forma"), ((2, 4, 1), "scale y shift"),
    ((2, 4), "keepdim"), ((2, 768), "difusión"),
])
def test_forma_con_difusion_errores_tipicos(answer, fragment):
    verdict = lesson2.evaluate_broadcast_shape(answer)
    _wrong_with(verdict, fragment)
    _assert_no_leak(verdict, (2, 4, 768))


def test_scale_y_shift_medidos():
    """La referencia se mide con la capa de verdad: media 3 y varianza 4 (salvo eps)."""
    mean, var = lesson2.scale_shift_stats()
    assert abs(mean - 3.0) < 1e-4 and abs(var - 4.0) < 1e-3


@pytest.mark.parametrize("answer", [(3, 4), [3.0, 4.0], ("3", "4"), ("3,0", "4,0"), (2.98, 4.05),
                                    {"media": 3, "varianza": 4}, (torch.tensor(3.0), torch.tensor(4.0))])
def test_scale_y_shift_correctos(answer):
    assert lesson2.evaluate_scale_shift(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ((4, 3), "al revés"), ((3, 2), "cuadrado de la desviación típica"), ((3, 1), "no sigue siendo 1"),
    ((3, 6), "multiplicas todos"), ((0, 4), "shift se suma"), ((5, 4), "media de los valores normalizados es 0"),
    ((6, 4), "media de los valores normalizados es 0"), ((1, 1), "scale * norm_x + shift"), ("3 y 4", "dos números"),
    ((3,), "dos números"),
])
def test_scale_y_shift_errores_tipicos(answer, fragment):
    _wrong_with(lesson2.evaluate_scale_shift(answer), fragment)


def test_linea_con_el_error_sale_del_codigo():
    """La línea con el error es la única de BUGGY_FORWARD que no está en LayerNorm.forward, y de verdad falla:
    con una fila constante da nan, mientras que la capa del curso da ceros."""
    assert lesson2.bug_line() == 3
    flat = torch.zeros(1, 6)
    mean = flat.mean(dim=-1, keepdim=True)
    var = flat.var(dim=-1, keepdim=True, unbiased=False)
    assert torch.isnan((flat - mean) / torch.sqrt(var) + 1e-5).all()  # la línea 3, tal cual
    assert torch.equal(LayerNorm(6)(flat), torch.zeros(1, 6))


@pytest.mark.parametrize("answer", [3, "3", 3.0])
def test_linea_con_el_error_correcta(answer):
    assert lesson2.evaluate_bug_line(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    (1, "keepdim"), (2, "sesgada"), (4, "scale y shift"), (5, "del 1 al 4"), (0, "del 1 al 4"),
])
def test_linea_con_el_error_errores_tipicos(answer, fragment):
    verdict = lesson2.evaluate_bug_line(answer)
    _wrong_with(verdict, fragment)
    assert "línea 3" not in verdict.message


def test_la_pregunta_del_notebook_muestra_las_lineas_de_la_comprobacion():
    """El notebook 2 enseña las cuatro líneas de BUGGY_FORWARD, numeradas, tal como las comprueba lesson2."""
    markdown = "".join("".join(c["source"]) for c in _notebook(2)["cells"] if c["cell_type"] == "markdown")
    for number, line in enumerate(lesson2.BUGGY_FORWARD, start=1):
        assert f"{number}  {line}" in markdown, line


# ----------------------------------------------------------------------------------------------- lección 3

def test_valores_de_gelu_medidos():
    """La referencia sale de la GELU del curso: casi 0 para -100, 0 en 0 y casi 100 para 100."""
    low, mid, high = lesson3.gelu_values()
    assert abs(low) < 1e-6 and mid == 0 and abs(high - 100) < 1e-4


@pytest.mark.parametrize("answer", [(0, 0, 100), "(0, 0, 100)", "-0.0, 0.0, 100.0", [0.0, 0.0, 100.0],
                                    torch.tensor([-0.0, 0.0, 100.0]), "0,0,100", (0.001, 0, 99.995)])
def test_valores_de_gelu_correctos(answer):
    assert lesson3.evaluate_gelu_values(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ((-100, 0, 100), "negativo muy grande"), ((0, 0.5, 100), "x = 0"), ((0, 0, 1), "sigmoide"),
    ((0, 0), "tres valores"), ((0, 0, 50), "Todavía no. Usa"),
])
def test_valores_de_gelu_errores_tipicos(answer, fragment):
    _wrong_with(lesson3.evaluate_gelu_values(answer), fragment)


def test_forma_sin_lote_medida_en_la_red():
    """La referencia sale de pasar un tensor (5, 768) por FeedForward: nn.Linear acepta cualquier dimensión delante."""
    from utils.layers import FeedForward

    assert lesson3.ff_output_shape() == tuple(FeedForward(GPT_CONFIG_124M)(torch.rand(5, 768)).shape) == (5, 768)


@pytest.mark.parametrize("answer", [(5, 768), "(5, 768)", torch.Size([5, 768]), "5x768"])
def test_forma_sin_lote_correcta(answer):
    assert lesson3.evaluate_ff_2d_shape(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ("error", "no necesita la dimensión del lote"), ((5, 3072), "entre las dos capas"), ((1, 5, 768), "no añade"),
    ((5,), "no junta"), ((768, 5), "Todavía no. Piensa"),
])
def test_forma_sin_lote_errores_tipicos(answer, fragment):
    verdict = lesson3.evaluate_ff_2d_shape(answer)
    _wrong_with(verdict, fragment)
    _assert_no_leak(verdict, (5, 768))


def test_forma_intermedia_medida_en_la_red():
    """La referencia sale de un hook en la primera capa lineal: (2, 3, 3072) para x de forma (2, 3, 768)."""
    assert lesson3.hidden_shape() == (2, 3, 3072)


@pytest.mark.parametrize("answer", [(2, 3, 3072), torch.Size([2, 3, 3072]), "(2, 3, 3072)", "2x3x3072"])
def test_forma_intermedia_correcta(answer):
    assert lesson3.evaluate_hidden_shape(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ((2, 3, 768), "entrada y de la salida"), ((2, 3072), "no junta los tokens"), ((6, 3072), "no junta el lote"),
    ((3072, 768), "matriz de pesos"), ((768, 3072), "matriz de pesos"), ((2, 3, 1536), "no es 2"),
    ((2, 3, 4), "cambia solo la última"),
])
def test_forma_intermedia_errores_tipicos(answer, fragment):
    verdict = lesson3.evaluate_hidden_shape(answer)
    _wrong_with(verdict, fragment)
    _assert_no_leak(verdict, (2, 3, 3072))


# ----------------------------------------------------------------------------------------------- lección 4

def test_derivada_medida_con_autograd():
    """La referencia es la derivada de x + 0,01 · x³ en x = 2: 1 + 0,03 · 4."""
    assert lesson4.shortcut_derivative() == pytest.approx(1.12)


@pytest.mark.parametrize("answer", [1.12, "1,12", "1.12", 1.1200, torch.tensor(1.12)])
def test_derivada_correcta(answer):
    assert lesson4.evaluate_shortcut_derivative(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    (0.12, "sin atajo"), (1.04, "la f de antes"), (1.08, "3x², no 2x²"), (1.06, "3x², no 3x"), (1, "no sustituye a f"),
    (2.5, "Deriva"),
])
def test_derivada_errores_tipicos(answer, fragment):
    verdict = lesson4.evaluate_shortcut_derivative(answer)
    _wrong_with(verdict, fragment)
    assert "1,12" not in verdict.message and "1.12" not in verdict.message


class _ExampleDeepNeuralNetwork(nn.Module):
    """La red de ejemplo del notebook 4 (copia para la prueba), que anota en qué capas suma el atajo."""

    def __init__(self, layer_sizes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), GELU())
                                     for i in range(5)])
        self.summed = 0

    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if x.shape == layer_output.shape:
                x = x + layer_output
                self.summed += 1
            else:
                x = layer_output
        return x


def test_numero_de_atajos_coincide_con_la_red_del_notebook():
    """La referencia cuenta lo mismo que la red del notebook al recorrerla, con estos tamaños y con los suyos."""
    for sizes in (lesson4.LAYER_SIZES, [3, 3, 3, 3, 3, 1]):
        net = _ExampleDeepNeuralNetwork(sizes)
        net(torch.zeros(1, sizes[0]))
        assert lesson4.shortcut_count(sizes) == net.summed


@pytest.mark.parametrize("answer", [3, "3", 3.0])
def test_numero_de_atajos_correcto(answer):
    assert lesson4.evaluate_shortcut_count(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    (5, "no basta"), (4, "red del notebook"), (0, "algunas capas sí"), (2, "Escribe, para cada capa"),
])
def test_numero_de_atajos_errores_tipicos(answer, fragment):
    _wrong_with(lesson4.evaluate_shortcut_count(answer), fragment)


def test_gradiente_con_una_capa_a_cero_medido_en_la_red():
    """La referencia sale de la red del notebook con layers.2 a cero: sin atajos, layers.0 no recibe gradiente;
    con atajos, sí (el camino de la identidad). Medirlo no cambia la semilla global."""
    torch.manual_seed(7)
    before = torch.rand(3)
    torch.manual_seed(7)
    assert lesson4.first_layer_gradient(use_shortcut=False) == 0.0
    assert lesson4.first_layer_gradient(use_shortcut=True) > 1e-3
    assert torch.equal(torch.rand(3), before)
    assert lesson4.zeroed_layer_choice() == "b"


def test_gradiente_con_una_capa_a_cero_coincide_con_la_red_del_notebook():
    """Con la capa sin tocar, la medida de lesson4 da los gradientes de layers.0 que imprime el notebook."""
    assert lesson4.first_layer_gradient(False, zeroed_layer=None) == pytest.approx(0.000202, abs=5e-7)
    assert lesson4.first_layer_gradient(True, zeroed_layer=None) == pytest.approx(0.221698, abs=5e-7)


@pytest.mark.parametrize("answer", ["b", "B", "b)", "(b)", " b. "])
def test_gradiente_con_una_capa_a_cero_correcto(answer):
    assert lesson4.evaluate_zeroed_layer(answer).status == "correct"


@pytest.mark.parametrize("answer, fragment", [
    ("a", "red con atajos"), ("c", "red sin atajos"), ("d", "le añade uno"), ("e", "letra"), (2, "letra"),
    ("", "letra"), ("  ", "letra"),
])
def test_gradiente_con_una_capa_a_cero_errores_tipicos(answer, fragment):
    verdict = lesson4.evaluate_zeroed_layer(answer)
    _wrong_with(verdict, fragment)
    assert "«b»" not in verdict.message and "opción b" not in verdict.message.lower()


# ------------------------------------------------------------------------ las preguntas dentro de los notebooks

def _notebook(number):
    import json
    from pathlib import Path

    (path,) = (Path(__file__).resolve().parent.parent / "notebooks").glob(f"{number}_*.ipynb")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("number, module", [(1, lesson1), (2, lesson2), (3, lesson3), (4, lesson4)])
def test_cada_pregunta_se_comprueba_en_su_notebook(number, module):
    """Cada evaluate_* de la lección se usa una vez en su notebook, sin responder (Ejecutar todo no falla)."""
    assert_questions_in_notebook(number, module)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_enlace_al_glosario_una_vez(number):
    """Cada notebook enlaza el glosario exactamente una vez."""
    markdown = "".join("".join(c["source"]) for c in _notebook(number)["cells"] if c["cell_type"] == "markdown")
    assert markdown.count("](../GLOSARIO.md)") == 1
