"""Pruebas de los comprobadores de ejercicios: aceptan las respuestas correctas, escritas de varias formas,
rechazan los errores típicos con una pista útil y nunca muestran la solución."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.checks import check_config, check_token_ids
from utils.config import GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.exercises import ex1_params as ex1
from utils.exercises import ex2_sizes as ex2
from utils.exercises import ex3_dropout as ex3
from utils.exercises import ex4_post_ln as ex4
from utils.exercises import ex5_gelu as ex5
from utils.exercises import ex6_no_pos as ex6
from utils.exercises import ex7_attention_shapes as ex7
from utils.exercises import ex8_top_k as ex8
from utils.exercises.common import CHECK_CFG, show
from utils.gpt import GPTModel, TransformerBlock

FF, ATT = 4_722_432, 2_360_064  # los números publicados en el libro
SIZES = {  # total, con pesos compartidos y memoria publicados en el libro (el libro escribe MB; son MiB)
    "medium": (406_212_608, 354_749_440, 1549.58),
    "large": (838_220_800, 773_891_840, 3197.56),
    "xl": (1_637_792_000, 1_557_380_800, 6247.68),
}
BOOK_NUMBERS = ["4722432", "2360064", "406212608", "354749440", "838220800", "773891840", "1637792000",
                "1557380800", "1549.58", "3197.56", "6247.68", "56669184", "28320768"]


# ----------------------------------------------------------------------------- soluciones de referencia

def gpt2_stats(cfg):
    with torch.device("meta"):
        model = GPTModel(cfg)
    total = sum(p.numel() for p in model.parameters())
    return total, total - model.out_head.weight.numel(), total * 4 / 1024**2


class GPTModelDropout(GPTModel):
    def __init__(self, cfg):
        check_config(cfg, extra_keys=ex3.DROPOUT_KEYS)
        super().__init__({k: v for k, v in cfg.items() if k not in ex3.DROPOUT_KEYS})
        self.drop_emb = nn.Dropout(cfg.get("drop_rate_emb", cfg["drop_rate"]))
        for block in self.trf_blocks:
            block.att.dropout = nn.Dropout(cfg.get("drop_rate_attn", cfg["drop_rate"]))
            block.drop_shortcut = nn.Dropout(cfg.get("drop_rate_shortcut", cfg["drop_rate"]))


class PostLNBlock(TransformerBlock):
    def forward(self, x):
        x = self.norm1(x + self.drop_shortcut(self.att(x)))
        return self.norm2(x + self.drop_shortcut(self.ff(x)))


def gelu_exact(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0)))


class GPTModelNoPos(GPTModel):
    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg["vocab_size"], self.cfg["context_length"])
        x = self.drop_emb(self.tok_emb(in_idx))
        return self.out_head(self.final_norm(self.trf_blocks(x)))


def _assert_no_solution(verdict):
    """Ningún mensaje de error muestra un número del libro."""
    digits = verdict.message.replace(",", "").replace(".", "").replace("_", "").replace(" ", "")
    for number in BOOK_NUMBERS:
        assert number.replace(".", "") not in digits, verdict.message


# ----------------------------------------------------------------------------- sin respuesta

@pytest.mark.parametrize("call", [
    lambda: ex1.evaluate_block_params(None, None),
    lambda: ex1.evaluate_model_block_params(None, 5),
    lambda: ex2.evaluate_gpt2_sizes(None),
    lambda: ex2.evaluate_gpt2_sizes(lambda cfg: None),
    lambda: ex3.evaluate_separate_dropout(None),
    lambda: ex4.evaluate_post_ln_block(None),
    lambda: ex5.evaluate_gelu_exact(None),
    lambda: ex5.evaluate_gelu_max_diff(None),
    lambda: ex6.evaluate_no_pos_model(None),
    lambda: ex6.evaluate_permutation_answers(None, None),
])
def test_sin_respuesta_da_un_aviso_amable(call):
    """Con la respuesta sin escribir (None), el veredicto es «sin respuesta», no una excepción."""
    verdict = call()
    assert verdict.status == "unanswered"
    assert "Todavía no has respondido" in verdict.message


@pytest.mark.parametrize("evaluate, answer_class", [
    (ex3.evaluate_separate_dropout, GPTModelDropout),
    (ex4.evaluate_post_ln_block, PostLNBlock),
    (ex6.evaluate_no_pos_model, GPTModelNoPos),
])
def test_pasar_el_modelo_ya_creado_en_vez_de_la_clase(evaluate, answer_class):
    """El error típico MiClase(cfg) en vez de MiClase se explica por su nombre; un texto, también."""
    verdict = evaluate(answer_class(CHECK_CFG))
    assert verdict.status == "wrong" and "pasa la clase" in verdict.message
    assert f"sin paréntesis: {answer_class.__name__}." in verdict.message
    verdict = evaluate("GPTModelDropout")
    assert verdict.status == "wrong" and "he recibido str" in verdict.message


def test_show_imprime_y_no_devuelve_nada(capsys):
    """show imprime el mensaje con su icono y devuelve None (el notebook no muestra un repr)."""
    assert show(ex1.evaluate_block_params(None, None)) is None
    assert capsys.readouterr().out.startswith("✏️ Todavía no has respondido")


def test_ninguna_comprobacion_se_llama_check():
    """check_* significa «lanza un error en español»: las funciones que dan un veredicto se llaman de otra forma."""
    for module in (ex1, ex2, ex3, ex4, ex5, ex6, ex7, ex8):
        names = [name for name in vars(module) if name.startswith("check_") and callable(getattr(module, name))]
        own = [name for name in names if getattr(module, name).__module__ == module.__name__]
        assert not own, (module.__name__, own)


# ----------------------------------------------------------------------------- ejercicio 1

@pytest.mark.parametrize("ff, att", [
    (FF, ATT), (4722432.0, 2360064.0), ("4,722,432", "2.360.064"), ("4 722 432", "2_360_064"),
    (torch.tensor(FF), torch.tensor(ATT)),
])
def test_parametros_de_bloque_correctos_en_varias_formas(ff, att):
    """Los números del libro se aceptan como int, float, texto con separadores o tensor."""
    assert ex1.evaluate_block_params(ff, att).status == "correct"


@pytest.mark.parametrize("ff, att, clue", [
    (ATT, FF, "al revés"),
    (FF - 5 * 768, ATT, "sesgos"),
    (FF, ATT + 1024**2, "buffer"),
    (FF, ATT + 3 * 768, "qkv_bias"),
    (FF, ATT - 768, "out_proj"),
    (FF + 2 * 768, ATT, "LayerNorm"),
    (FF * 12, ATT * 12, "12 bloques"),
    (4.72e6, ATT, "exacto"),
    (FF + 12345, ATT, "sobran"),
    ("muchos", ATT, "número"),
])
def test_parametros_de_bloque_errores_tipicos(ff, att, clue):
    """Cada error típico se rechaza con una pista que lo nombra, sin dar la solución."""
    verdict = ex1.evaluate_block_params(ff, att)
    assert verdict.status == "wrong"
    assert clue in verdict.message
    _assert_no_solution(verdict)


def test_parametros_del_modelo_correctos():
    """Multiplicar por los 12 bloques da los totales de ff y att del modelo de 124M."""
    assert ex1.evaluate_model_block_params(FF * 12, "28,320,768").status == "correct"


@pytest.mark.parametrize("ff, att, clue", [
    (FF, ATT * 12, "un solo bloque"),
    (FF * 12, (ATT + 1024**2) * 12, "buffer"),
    (FF * 11, ATT * 12, "bloques"),
    (ATT * 12, FF * 12, "al revés"),
])
def test_parametros_del_modelo_errores_tipicos(ff, att, clue):
    """Olvidar multiplicar, contar la máscara en cada bloque o multiplicar mal dan su pista."""
    verdict = ex1.evaluate_model_block_params(ff, att)
    assert verdict.status == "wrong" and clue in verdict.message
    _assert_no_solution(verdict)


# ----------------------------------------------------------------------------- ejercicio 2

def test_tamanos_del_libro_son_los_que_calcula_el_comprobador():
    """Los números publicados (MB del libro = MiB) coinciden con un GPTModel construido (en el dispositivo meta)."""
    for name, cfg in (("medium", GPT_CONFIG_355M), ("large", GPT_CONFIG_774M), ("xl", GPT_CONFIG_1558M)):
        total, tied, mb = gpt2_stats(cfg)
        assert (total, tied, f"{mb:.2f}") == (SIZES[name][0], SIZES[name][1], f"{SIZES[name][2]:.2f}")


@pytest.mark.parametrize("answer", [
    gpt2_stats,
    lambda cfg: (lambda t, s, m: (t, s, round(m, 2)))(*gpt2_stats(cfg)),
    SIZES,
    {f"gpt2-{k}": (f"{t:,}", f"{s:,}", f"{m:.2f}".replace(".", ",")) for k, (t, s, m) in SIZES.items()},
])
def test_tamanos_correctos_como_funcion_o_diccionario(answer):
    """Se acepta una función cfg -> (total, compartidos, MB) o un diccionario, con MB redondeados o no."""
    assert ex2.evaluate_gpt2_sizes(answer).status == "correct"


def _with(change):
    """Respuesta de diccionario con un cambio aplicado a medium."""
    answers = dict(SIZES)
    answers["medium"] = change(*SIZES["medium"])
    return answers


OUT_HEAD = 50257 * 1024


@pytest.mark.parametrize("answer, clue", [
    (_with(lambda t, s, m: (t + OUT_HEAD, s + OUT_HEAD, m)), "dos veces"),
    (_with(lambda t, s, m: (t - 24 * 6 * 1024, s, m)), "sesgos"),
    (_with(lambda t, s, m: (t - (24 * 4 + 2) * 1024, s, m)), "LayerNorm"),
    (_with(lambda t, s, m: (t + 24 * 1024**2, s, m)), "buffers"),
    (_with(lambda t, s, m: (t, t, m)), "no has restado"),
    (_with(lambda t, s, m: (t, s, t * 4 / 1000**2)), "1000²"),
    (_with(lambda t, s, m: (t, s, s * 4 / 1024**2)), "pesos compartidos"),
    (_with(lambda t, s, m: (t, s, t / 1024**2)), "bytes"),
    (_with(lambda t, s, m: (t, s, round(m, 1))), "decimales"),
    (_with(lambda t, s, m: (t, s, t * 4 / 1024**3)), "GiB"),
    (_with(lambda t, s, m: (t, s)), "tres valores"),
])
def test_tamanos_errores_tipicos(answer, clue):
    """Contar out_head dos veces, olvidar sesgos o LayerNorms, contar máscaras, 1000² en vez de 1024²..."""
    verdict = ex2.evaluate_gpt2_sizes(answer)
    assert verdict.status == "wrong" and clue in verdict.message
    _assert_no_solution(verdict)


def test_tamanos_funcion_que_falla_se_explica():
    """Si la función del alumno lanza una excepción, el mensaje la nombra en lugar de romper la celda."""
    verdict = ex2.evaluate_gpt2_sizes(lambda cfg: cfg["no_existe"])
    assert verdict.status == "wrong" and "KeyError" in verdict.message


# ----------------------------------------------------------------------------- ejercicio 3

def test_dropout_separado_correcto():
    """La solución de referencia pasa: tasas separadas, drop_rate como respaldo y misma salida que GPTModel."""
    assert ex3.evaluate_separate_dropout(GPTModelDropout).status == "correct"


def test_dropout_separado_rechaza_gptmodel_sin_cambios():
    """Un modelo que acepta las claves pero usa drop_rate en todas partes se rechaza nombrando el dropout."""
    class Unchanged(GPTModel):
        def __init__(self, cfg):
            super().__init__({k: v for k, v in cfg.items() if k not in ex3.DROPOUT_KEYS})

    verdict = ex3.evaluate_separate_dropout(Unchanged)
    assert verdict.status == "wrong" and "drop_emb" in verdict.message and "p=0.0" in verdict.message
    verdict = ex3.evaluate_separate_dropout(GPTModel)  # GPTModel tal cual rechaza las claves nuevas
    assert verdict.status == "wrong" and "extra_keys" in verdict.message


def test_dropout_separado_sin_respaldo_en_drop_rate():
    """Leer cfg['drop_rate_emb'] sin respaldo falla con la configuración de solo drop_rate: se sugiere cfg.get."""
    class NoFallback(GPTModel):
        def __init__(self, cfg):
            super().__init__(cfg)
            self.drop_emb = nn.Dropout(cfg["drop_rate_emb"])

    verdict = ex3.evaluate_separate_dropout(NoFallback)
    assert verdict.status == "wrong" and "cfg.get" in verdict.message


def test_dropout_separado_sin_extra_keys_lo_explica():
    """Pasar a GPTModel la configuración con las tres claves nuevas falla en check_config: la pista dice qué hacer."""
    class PassesEverything(GPTModel):
        def __init__(self, cfg):
            super().__init__(cfg)
            self.drop_emb = nn.Dropout(cfg.get("drop_rate_emb", cfg["drop_rate"]))

    verdict = ex3.evaluate_separate_dropout(PassesEverything)
    assert verdict.status == "wrong" and "extra_keys=DROPOUT_KEYS" in verdict.message


def test_dropout_separado_tasas_intercambiadas():
    """Si la atención usa la tasa de los atajos, el mensaje lo dice."""
    class Swapped(GPTModelDropout):
        def __init__(self, cfg):
            super().__init__(cfg)
            for block in self.trf_blocks:
                block.att.dropout = nn.Dropout(cfg.get("drop_rate_shortcut", cfg["drop_rate"]))

    verdict = ex3.evaluate_separate_dropout(Swapped)
    assert verdict.status == "wrong" and "drop_rate_shortcut" in verdict.message


def test_dropout_separado_definido_pero_sin_usar():
    """Un dropout que se crea pero no se llama en forward se detecta."""
    class Unused(GPTModelDropout):
        def forward(self, in_idx):
            x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(in_idx.shape[1]))
            return self.out_head(self.final_norm(self.trf_blocks(x)))

    verdict = ex3.evaluate_separate_dropout(Unused)
    assert verdict.status == "wrong" and "drop_emb" in verdict.message and "forward" in verdict.message


def test_dropout_separado_forward_distinto():
    """Un forward que cambia el cálculo (aquí, sin LayerNorm final) no coincide con GPTModel en modo eval."""
    class NoFinalNorm(GPTModelDropout):
        def forward(self, in_idx):
            x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(in_idx.shape[1]))
            return self.out_head(self.trf_blocks(self.drop_emb(x)))

    verdict = ex3.evaluate_separate_dropout(NoFinalNorm)
    assert verdict.status == "wrong" and "modo eval" in verdict.message


# ----------------------------------------------------------------------------- ejercicio 4

def test_post_ln_correcto():
    """El bloque post-LN de referencia pasa."""
    assert ex4.evaluate_post_ln_block(PostLNBlock).status == "correct"


def test_post_ln_rechaza_pre_ln():
    """TransformerBlock sin cambios (pre-LN) se rechaza con la pista de mover la LayerNorm."""
    verdict = ex4.evaluate_post_ln_block(TransformerBlock)
    assert verdict.status == "wrong" and "pre-LN" in verdict.message


@pytest.mark.parametrize("forward, clue", [
    (lambda s, x: (lambda h: h + s.norm2(s.ff(h)))(x + s.norm1(s.att(x))), "antes de sumarla"),
    (lambda s, x: s.norm2(s.ff(s.norm1(s.att(x)))), "atajo"),
    (lambda s, x: (lambda h: s.norm1(h + s.ff(h)))(s.norm1(x + s.att(x))), "norm1 en las dos"),
    (lambda s, x: (lambda h: s.norm1(h + s.ff(h)))(s.norm2(x + s.att(x))), "intercambiado"),
    (lambda s, x: x * 2, "suma"),
])
def test_post_ln_errores_tipicos(forward, clue):
    """Normalizar la subcapa, olvidar el atajo, repetir o intercambiar norm1/norm2 dan su pista."""
    block_class = type("Wrong", (TransformerBlock,), {"forward": forward})
    verdict = ex4.evaluate_post_ln_block(block_class)
    assert verdict.status == "wrong" and clue in verdict.message


def test_estadisticas_pre_post_ln():
    """Con bloques post-LN cada salida tiene desviación típica 1; con pre-LN el flujo residual crece."""
    stats = ex4.pre_post_ln_stats(PostLNBlock, n_layers=4)
    assert all(abs(s - 1) < 0.01 for s in stats["post-LN"]["std"])
    pre = stats["pre-LN"]["std"]
    assert all(b > a for a, b in zip(pre, pre[1:], strict=False)) and pre[0] > 1.05


# ----------------------------------------------------------------------------- ejercicio 5

class GELUExact(nn.Module):
    def forward(self, x):
        return gelu_exact(x)


@pytest.mark.parametrize("answer", [gelu_exact, GELUExact, GELUExact()])
def test_gelu_exacta_correcta_como_funcion_o_modulo(answer):
    """La GELU con erf se acepta como función, como clase de nn.Module o como instancia."""
    verdict = ex5.evaluate_gelu_exact(answer)
    assert verdict.status == "correct" and "PyTorch" not in verdict.message


def test_gelu_que_llama_a_pytorch_lleva_un_matiz():
    """Llamar a F.gelu da el resultado, pero el mensaje recuerda que el ejercicio es escribirla con erf."""
    def lazy(x):
        return F.gelu(x)

    verdict = ex5.evaluate_gelu_exact(lazy)
    assert verdict.status == "correct" and "torch.erf" in verdict.message


@pytest.mark.parametrize("answer, clue", [
    (lambda x: F.gelu(x, approximate="tanh"), "aproximación con tanh"),
    (lambda x: 0.5 * x * (1 + torch.erf(x * math.sqrt(2.0))), "dividir entre √2"),
    (lambda x: x * (1 + torch.erf(x / math.sqrt(2.0))), "0.5"),
    (lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2.0))), "Φ(x)"),
    (lambda x: x * torch.sigmoid(1.702 * x), "sigmoide"),
    (torch.relu, "ReLU"),
    (lambda x: x.tolist(), "tensor"),
])
def test_gelu_errores_tipicos(answer, clue):
    """La aproximación, √2 multiplicando, el 0.5 olvidado, Φ(x) sola, sigmoide o ReLU dan su pista."""
    verdict = ex5.evaluate_gelu_exact(answer)
    assert verdict.status == "wrong" and clue in verdict.message


def test_diferencia_maxima_gelu():
    """La diferencia máxima calculada a mano (tensor o número redondeado) se acepta."""
    x = torch.linspace(-6, 6, 10001)
    diff = (gelu_exact(x) - F.gelu(x, approximate="tanh")).abs().max()
    assert ex5.evaluate_gelu_max_diff(diff).status == "correct"
    assert ex5.evaluate_gelu_max_diff(round(diff.item(), 5)).status == "correct"


@pytest.mark.parametrize("value, clue", [(0.0, "consigo misma"), (-4.7e-4, "valor absoluto"), (0.1, "linspace")])
def test_diferencia_maxima_gelu_errores(value, clue):
    """Cero, un valor negativo u otro número dan su pista."""
    verdict = ex5.evaluate_gelu_max_diff(value)
    assert verdict.status == "wrong" and clue in verdict.message


def test_diferencia_media_gelu_se_reconoce():
    """Dar la diferencia media en lugar de la máxima se reconoce."""
    x = torch.linspace(-6, 6, 10001)
    mean = (F.gelu(x) - F.gelu(x, approximate="tanh")).abs().mean()
    assert "media" in ex5.evaluate_gelu_max_diff(mean).message


# ----------------------------------------------------------------------------- ejercicio 6

def test_sin_posicion_correcto():
    """El modelo que no suma pos_emb pasa."""
    verdict = ex6.evaluate_no_pos_model(GPTModelNoPos)
    assert verdict.status == "correct" and "matiz" not in verdict.message


def test_sin_posicion_con_pos_emb_a_cero_vale_con_matiz():
    """Poner pos_emb a cero al crear el modelo se acepta, avisando de que al entrenar dejaría de serlo."""
    class Zeroed(GPTModel):
        def __init__(self, cfg):
            super().__init__(cfg)
            with torch.no_grad():
                self.pos_emb.weight.zero_()

    verdict = ex6.evaluate_no_pos_model(Zeroed)
    assert verdict.status == "correct" and "matiz" in verdict.message


def test_sin_posicion_rechaza_gptmodel():
    """GPTModel sin cambios sigue usando pos_emb y se rechaza."""
    verdict = ex6.evaluate_no_pos_model(GPTModel)
    assert verdict.status == "wrong" and "posición" in verdict.message


def test_sin_posicion_rechaza_otros_cambios():
    """Quitar pos_emb y también final_norm se rechaza: solo debe cambiar la posición."""
    class TooMuch(GPTModel):
        def forward(self, in_idx):
            return self.out_head(self.trf_blocks(self.tok_emb(in_idx)))

    verdict = ex6.evaluate_no_pos_model(TooMuch)
    assert verdict.status == "wrong" and "final_norm" in verdict.message


@pytest.mark.parametrize("with_mask, without_mask, status", [
    (False, True, "correct"), ("no", "sí", "correct"), (True, True, "wrong"), (True, False, "wrong"),
    (False, False, "wrong"), ("quizá", True, "wrong"),
])
def test_predicciones_de_permutacion(with_mask, without_mask, status):
    """Solo es correcto: con máscara causal no se conserva la permutación; sin máscara, sí."""
    assert ex6.evaluate_permutation_answers(with_mask, without_mask).status == status


def test_permutar_conmuta_solo_sin_posicion_y_sin_mascara(tiny_cfg):
    """Los hechos que comprueban las predicciones: el error de permutación es ~0 solo sin pos_emb y sin máscara."""
    torch.manual_seed(123)
    normal = GPTModel(tiny_cfg)
    no_pos = GPTModelNoPos(tiny_cfg)
    no_pos.load_state_dict(normal.state_dict())
    idx = torch.randint(0, 100, (2, 8))
    perm = torch.tensor([3, 0, 7, 1, 6, 2, 5, 4])
    assert ex6.permutation_error(no_pos, idx, perm, causal=False) < 1e-5
    assert ex6.permutation_error(no_pos, idx, perm, causal=True) > 1e-2
    assert ex6.permutation_error(normal, idx, perm, causal=False) > 1e-2


# ----------------------------------------------------------------------------- ejercicio 7

def test_forma_de_los_pesos_medida_en_un_bloque_de_verdad():
    """La forma que se mide con el gancho es (batch, n_heads, num_tokens, num_tokens), también con otra cfg."""
    assert ex7.measure_attn_weights_shape() == (2, 12, 6, 6)
    assert ex7.measure_attn_weights_shape(CHECK_CFG, batch_size=3, num_tokens=5) == (3, 4, 5, 5)


@pytest.mark.parametrize("answer", [(2, 12, 6, 6), [2, 12, 6, 6], torch.Size([2, 12, 6, 6]), ("2", 12.0, 6, 6)])
def test_forma_de_los_pesos_correcta_en_varias_formas(answer):
    """La forma se acepta como tupla, lista, torch.Size o con números escritos de otra manera."""
    assert ex7.evaluate_attn_weights_shape(answer).status == "correct"


@pytest.mark.parametrize("answer, clue", [
    ((2, 6, 6), "cada cabeza"),
    ((12, 6, 6), "lote"),
    ((2, 6, 12, 6), "transpose"),
    ((2, 12, 6, 64), "consultas"),
    ((2, 12, 1024, 1024), "máscara causal se recorta"),
    ((2, 6, 768), "entrada y de la salida"),
    ((2, 12, 6), "dimensiones"),
    ("(2, 12, 6, 6)", "tupla"),
])
def test_forma_de_los_pesos_errores_tipicos(answer, clue):
    """Olvidar las cabezas o el lote, no trasponer, confundir con las consultas o con la máscara dan su pista."""
    verdict = ex7.evaluate_attn_weights_shape(answer)
    assert verdict.status == "wrong" and clue in verdict.message


def test_total_de_pesos_de_atencion():
    """12 bloques × (2, 12, 6, 6) = 10 368 pesos; se acepta con separadores."""
    assert ex7.evaluate_attn_weights_total(10368).status == "correct"
    assert ex7.evaluate_attn_weights_total("10 368").status == "correct"


@pytest.mark.parametrize("answer, clue", [
    (864, "un solo bloque"),
    (12 * 2 * 12 * 21, "no tapa"),
    (12 * 12 * 36, "lote"),
    (12 * 2 * 12 * 1024**2, "context_length"),
    (7, "multiplica"),
])
def test_total_de_pesos_errores_tipicos(answer, clue):
    """Un solo bloque, solo los no tapados, sin lote o con el contexto completo dan su pista, sin la solución."""
    verdict = ex7.evaluate_attn_weights_total(answer)
    assert verdict.status == "wrong" and clue in verdict.message
    assert "10368" not in verdict.message.replace(" ", "")


# ----------------------------------------------------------------------------- ejercicio 8

def top_k_filter(logits, k):
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return torch.where(logits < kth, torch.tensor(float("-inf")), logits)


def test_top_k_correcto():
    """Una solución con torch.topk y torch.where pasa; también la de utils/sampling.py."""
    from utils.sampling import top_k_filter as reference

    assert ex8.evaluate_top_k(top_k_filter).status == "correct"
    assert ex8.evaluate_top_k(reference).status == "correct"


def test_top_k_deja_exactamente_k_candidatos():
    """Los hechos que comprueba el ejercicio: k valores finitos por fila, los mayores, sin cambiar."""
    logits = torch.randn(4, 30)
    out = top_k_filter(logits, 5)
    assert torch.isfinite(out).sum(dim=-1).tolist() == [5] * 4
    kept = torch.isfinite(out)
    assert torch.equal(out[kept], logits[kept])
    for row, mask in zip(logits, kept, strict=True):
        assert row[mask].min() > row[~mask].max()


def _in_place(logits, k):
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill_(logits < kth, float("-inf"))


def _whole_batch(logits, k):
    flat = logits.flatten()
    kth = torch.topk(flat, k).values[-1]
    return torch.where(logits < kth, torch.tensor(float("-inf")), logits)


def _one_more(logits, k):
    kth = torch.topk(logits, k + 1, dim=-1).values[..., -1:] if k < logits.shape[-1] else logits.min(-1, True).values
    return torch.where(logits < kth, torch.tensor(float("-inf")), logits)


@pytest.mark.parametrize("answer, clue", [
    (lambda logits, k: torch.softmax(top_k_filter(logits, k), dim=-1), "probabilidades"),
    (lambda logits, k: top_k_filter(logits, k).nan_to_num(neginf=0.0), "-inf"),
    (lambda logits, k: -top_k_filter(-logits, k), "menores"),
    (lambda logits, k: torch.topk(logits, k, dim=-1).values, "torch.topk"),
    (_in_place, "cambia el tensor"),
    (_whole_batch, "todo el lote"),
    (_one_more, "k + 1"),
    (lambda logits, k: logits[0], "forma"),
    (lambda logits, k: 1 / 0, "ZeroDivisionError"),
])
def test_top_k_errores_tipicos(answer, clue):
    """Probabilidades, ceros en vez de -inf, los menores, solo los valores, en su sitio, todo el lote, k + 1..."""
    verdict = ex8.evaluate_top_k(answer)
    assert verdict.status == "wrong" and clue in verdict.message, verdict.message


# ----------------------------------------------------------------------------- los notebooks

def _check_cells(path):
    """Devuelve {fuente de la celda: texto que imprimió} de las celdas de código de un notebook."""
    import json
    from pathlib import Path

    notebook = json.loads((Path(__file__).resolve().parent.parent / path).read_text(encoding="utf-8"))
    return {"".join(cell["source"]): "".join("".join(out.get("text", "")) for out in cell["outputs"])
            for cell in notebook["cells"] if cell["cell_type"] == "code"}


@pytest.mark.parametrize("module", [ex1, ex2, ex3, ex4, ex5, ex6, ex7, ex8], ids=lambda m: m.__name__.split(".")[-1])
def test_cada_comprobacion_se_usa_en_el_notebook_8_y_en_las_soluciones(module):
    """Cada evaluate_* tiene su celda show(...): sin responder en el notebook 9 y correcta en las soluciones."""
    short = module.__name__.split(".")[-1]
    names = [name for name in vars(module) if name.startswith("evaluate_")]
    assert names
    notebooks = [("notebooks/9_ejercicios.ipynb", "✏️"), ("notebooks/soluciones/9_ejercicios_soluciones.ipynb", "✅")]
    for path, icon in notebooks:
        cells = _check_cells(path)
        for name in names:
            found = [out for source, out in cells.items() if f"show({short}.{name}(" in source]
            assert len(found) == 1, (path, name)
            assert found[0].startswith(icon), (path, name, found[0])
