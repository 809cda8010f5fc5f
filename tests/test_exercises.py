"""Pruebas de los comprobadores de ejercicios: aceptan las respuestas correctas, escritas de varias formas,
rechazan los errores típicos con una pista útil y nunca muestran la solución."""

import pytest
import torch
import torch.nn as nn

from utils.attention import MultiHeadAttention
from utils.checks import check_config, check_token_ids
from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.exercises import ex1_params as ex1
from utils.exercises import ex2_sizes as ex2
from utils.exercises import ex3_dropout as ex3
from utils.exercises import ex4_post_ln as ex4
from utils.exercises import ex5_sliding_window as ex5
from utils.exercises import ex6_no_pos as ex6
from utils.exercises import ex7_attention_shapes as ex7
from utils.exercises import ex8_repetition_penalty as ex8
from utils.exercises.common import CHECK_CFG, show
from utils.gpt import GPTModel, TransformerBlock

FF, ATT = 4_722_432, 2_360_064  # los números publicados en el libro (124M)
FF_XL, ATT_XL = 20_488_000, 10_241_600  # los del ejercicio 1: un bloque de GPT-2 XL
SIZES = {  # total, con pesos compartidos y memoria publicados en el libro (el libro escribe MB; son MiB)
    "medium": (406_212_608, 354_749_440, 1549.58),
    "large": (838_220_800, 773_891_840, 3197.56),
    "xl": (1_637_792_000, 1_557_380_800, 6247.68),
}
BOOK_NUMBERS = ["4722432", "2360064", "406212608", "354749440", "838220800", "773891840", "1637792000",
                "1557380800", "1549.58", "3197.56", "6247.68", "56669184", "28320768", "20488000", "10241600",
                "983424000", "491596800"]


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


def sliding_window_mask(context_length, window):
    pos = torch.arange(context_length)
    distance = pos[:, None] - pos[None, :]
    return ((distance < 0) | (distance >= window)).float()


def apply_repetition_penalty(logits, idx, penalty):
    seen = torch.gather(logits, -1, idx)
    return logits.scatter(-1, idx, torch.where(seen > 0, seen / penalty, seen * penalty))


class GPTModelNoPos(GPTModel):
    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg)
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
    lambda: ex2.evaluate_max_layers(None),
    lambda: ex4.evaluate_post_ln_block(None),
    lambda: ex4.evaluate_std_prediction(None),
    lambda: ex5.evaluate_sliding_window_mask(None),
    lambda: ex5.evaluate_num_tokens_seen(None),
    lambda: ex6.evaluate_no_pos_model(None),
    lambda: ex6.evaluate_permutation_answers(None, None),
    lambda: ex8.evaluate_repetition_penalty(None),
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
    (FF_XL, ATT_XL), (20488000.0, 10241600.0), ("20,488,000", "10.241.600"), ("20 488 000", "10_241_600"),
    (torch.tensor(FF_XL), torch.tensor(ATT_XL)),
])
def test_parametros_de_bloque_correctos_en_varias_formas(ff, att):
    """Los números de un bloque de XL se aceptan como int, float, texto con separadores o tensor."""
    assert ex1.evaluate_block_params(ff, att).status == "correct"


def test_parametros_de_bloque_del_libro_con_124m():
    """Con la configuración de 124M, el comprobador acepta los números del libro (los del notebook 6)."""
    assert ex1.evaluate_block_params(FF, ATT, GPT_CONFIG_124M).status == "correct"
    assert ex1.evaluate_model_block_params(FF * 12, "28,320,768", GPT_CONFIG_124M).status == "correct"


D_XL = 1600


@pytest.mark.parametrize("ff, att, clue", [
    (ATT_XL, FF_XL, "al revés"),
    (FF_XL - 5 * D_XL, ATT_XL, "sesgos"),
    (FF_XL, ATT_XL + 1024**2, "buffer"),
    (FF_XL, ATT_XL + 3 * D_XL, "qkv_bias"),
    (FF_XL, ATT_XL - D_XL, "out_proj"),
    (FF_XL + 2 * D_XL, ATT_XL, "LayerNorm"),
    (FF_XL * 48, ATT_XL * 48, "48 bloques"),
    (FF, ATT, "124M"),
    (2.05e7, ATT_XL, "exacto"),
    (FF_XL + 12345, ATT_XL, "sobran"),
    ("muchos", ATT_XL, "número"),
])
def test_parametros_de_bloque_errores_tipicos(ff, att, clue):
    """Cada error típico se rechaza con una pista que lo nombra, sin dar la solución."""
    verdict = ex1.evaluate_block_params(ff, att)
    assert verdict.status == "wrong"
    assert clue in verdict.message
    _assert_no_solution(verdict)


def test_parametros_del_modelo_correctos():
    """Multiplicar por los 48 bloques da los totales de ff y att de XL; el mensaje da su parte del modelo."""
    verdict = ex1.evaluate_model_block_params(FF_XL * 48, "491,596,800")
    assert verdict.status == "correct" and "90 %" in verdict.message


@pytest.mark.parametrize("ff, att, clue", [
    (FF_XL, ATT_XL * 48, "un solo bloque"),
    (FF_XL * 48, (ATT_XL + 1024**2) * 48, "buffer"),
    (FF_XL * 47, ATT_XL * 48, "bloques"),
    (ATT_XL * 48, FF_XL * 48, "al revés"),
    (FF_XL * 12, ATT_XL * 48, "multiplicado por 12"),
    (FF * 12, ATT * 12, "124M"),
])
def test_parametros_del_modelo_errores_tipicos(ff, att, clue):
    """Olvidar multiplicar, contar la máscara en cada bloque, multiplicar mal o dar los de 124M dan su pista."""
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


def test_bloques_que_caben_en_un_gib():
    """Con emb_dim = 1024 caben 13 bloques en 1 GiB de parámetros float32, y 14 ya no (medido en meta)."""
    sizes = {n: gpt2_stats({**GPT_CONFIG_355M, "n_layers": n})[2] for n in (13, 14)}
    assert sizes[13] < 1024 < sizes[14]
    for answer in (13, "13", 13.0):
        assert ex2.evaluate_max_layers(answer).status == "correct"


@pytest.mark.parametrize("answer, clue", [
    (14, "hacia arriba"), (21, "solo entre los bloques"), (17, "compartiera"), (11, "10⁹"), (2, "8 bytes"),
    (77, "dividir los bytes"), (24, "GPT-2 medium"), (500, "más de 1 GiB"), (0, "al menos un bloque"),
    (12, "separa lo que no depende"), ("trece", "entero"),
])
def test_bloques_que_caben_errores_tipicos(answer, clue):
    """Redondear hacia arriba, olvidar los embeddings, compartir out_head, GB, float64... dan su pista, sin el 13."""
    verdict = ex2.evaluate_max_layers(answer)
    assert verdict.status == "wrong" and clue in verdict.message, verdict.message
    assert "13" not in verdict.message


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


@pytest.mark.parametrize("answer, status, clue", [
    ("pre-LN", "correct", "Correcto"), ("Pre LN", "correct", "Correcto"), ("preln", "correct", "Correcto"),
    ("post-LN", "wrong", "lo último"), ("las dos", "wrong", "LayerNorm"), ("ambas", "wrong", "LayerNorm"),
    ("ninguna", "wrong", "atajos"), ("crece", "wrong", "no entiendo"), (True, "wrong", "no entiendo"),
])
def test_prediccion_de_la_desviacion_tipica(answer, status, clue):
    """Solo crece en pre-LN; cada respuesta equivocada da su pista y un texto que no se entiende lo dice."""
    verdict = ex4.evaluate_std_prediction(answer)
    assert verdict.status == status and clue in verdict.message, verdict.message


def test_estadisticas_pre_post_ln():
    """Con bloques post-LN cada salida tiene desviación típica 1; con pre-LN el flujo residual crece."""
    stats = ex4.pre_post_ln_stats(PostLNBlock, n_layers=4)
    assert all(abs(s - 1) < 0.01 for s in stats["post-LN"]["std"])
    pre = stats["pre-LN"]["std"]
    assert all(b > a for a, b in zip(pre, pre[1:], strict=False)) and pre[0] > 1.05


# ----------------------------------------------------------------------------- ejercicio 5

@pytest.mark.parametrize("answer", [
    sliding_window_mask,
    lambda n, w: sliding_window_mask(n, w).bool(),
    lambda n, w: torch.triu(torch.ones(n, n), diagonal=1) + torch.tril(torch.ones(n, n), diagonal=-w),
])
def test_ventana_correcta_en_float_o_bool(answer):
    """La máscara se acepta con 1/0 o con True/False, escrita con distancias o con triu y tril."""
    assert ex5.evaluate_sliding_window_mask(answer).status == "correct"


def test_ventana_hechos_de_la_mascara():
    """Los hechos que comprueba el ejercicio: window tokens visibles por fila (menos al principio) y, con una
    ventana que cubre el contexto, la máscara causal de MultiHeadAttention."""
    mask = sliding_window_mask(8, 3)
    assert (mask == 0).sum(dim=1).tolist() == [1, 2, 3, 3, 3, 3, 3, 3]
    assert mask.diagonal().sum() == 0
    causal = MultiHeadAttention(4, 4, context_length=8, dropout=0.0, num_heads=1).mask
    assert torch.equal(sliding_window_mask(8, 8), causal)


@pytest.mark.parametrize("answer, clue", [
    (lambda n, w: torch.triu(torch.ones(n, n), diagonal=1), "máscara causal de siempre"),
    (lambda n, w: 1 - sliding_window_mask(n, w), "al revés"),
    (lambda n, w: sliding_window_mask(n, w).T, "traspuesta"),
    (lambda n, w: sliding_window_mask(n, w + 1), "window + 1"),
    (lambda n, w: sliding_window_mask(n, w - 1) if w > 1 else sliding_window_mask(n, w), "window - 1"),
    (lambda n, w: torch.triu(torch.ones(n, n)) + torch.tril(torch.ones(n, n), diagonal=-w), "sí mismo"),
    (lambda n, w: (lambda m: m + m.T)(torch.tril(torch.ones(n, n), diagonal=-w)), "el futuro"),
    (lambda n, w: sliding_window_mask(n, w) * float("-inf"), "distintos de 0 y 1"),
    (lambda n, w: sliding_window_mask(n, w).index_fill(0, torch.tensor([n - 1]), 0.0), "fila 5"),
    (lambda n, w: sliding_window_mask(n, w)[:-1], "forma"),
    (lambda n, w: sliding_window_mask(n, w).tolist(), "tensor"),
    (lambda n: torch.ones(n, n), "TypeError"),
])
def test_ventana_errores_tipicos(answer, clue):
    """Causal sin ventana, al revés, traspuesta, una de más o de menos, la diagonal tapada, sin causalidad..."""
    verdict = ex5.evaluate_sliding_window_mask(answer)
    assert verdict.status == "wrong" and clue in verdict.message, verdict.message


def test_ventana_el_alcance_crece_con_los_bloques():
    """Con ventana 4, cada bloque alarga en 3 tokens lo que llega al último: 4, 7 y 10 tokens; causal, los 16."""
    mask = sliding_window_mask(16, 4)
    for n_layers, expected in ((1, 4), (2, 7), (3, 10)):
        reach = ex5.tokens_that_reach_last(mask, n_layers)
        assert reach == [False] * (16 - expected) + [True] * expected
    assert all(ex5.tokens_that_reach_last(torch.triu(torch.ones(16, 16), diagonal=1), 3))


@pytest.mark.parametrize("answer", [10, "10", 10.0, torch.tensor(10)])
def test_ventana_prediccion_correcta(answer):
    """3 bloques · (4 - 1) + 1 = 10 tokens, escrito como entero, texto, float o tensor."""
    assert ex5.evaluate_num_tokens_seen(answer).status == "correct"


@pytest.mark.parametrize("answer, clue", [
    (4, "un solo bloque"), (16, "sí limita"), (12, "propio token"), (9, "propio último token"),
    (7, "tres bloques"), (40, "entre 1 y 16"), (11, "empieza por un bloque"), ("diez", "entero"),
])
def test_ventana_prediccion_errores_tipicos(answer, clue):
    """La ventana de un bloque, todo el texto, window por bloque, sin el propio token, dos bloques..., sin el 10."""
    verdict = ex5.evaluate_num_tokens_seen(answer)
    assert verdict.status == "wrong" and clue in verdict.message, verdict.message
    assert "10" not in verdict.message


def test_ventana_experimento_solo_con_mascara_correcta(capsys):
    """El experimento pide antes una máscara correcta; con ella imprime una fila por modelo."""
    ex5.show_reach_experiment(None)
    assert "Todavía no has respondido" in capsys.readouterr().out
    ex5.show_reach_experiment(lambda n, w: torch.triu(torch.ones(n, n), diagonal=1))
    assert "Primero haz que la comprobación de tu máscara salga bien" in capsys.readouterr().out
    ex5.show_reach_experiment(sliding_window_mask)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[3].endswith("10") and lines[4].endswith("16")


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

def _penalty_loop(logits, idx, penalty):
    out = logits.clone()
    for row, history in zip(out, idx, strict=True):
        for token in history.unique():
            row[token] = row[token] / penalty if row[token] > 0 else row[token] * penalty
    return out


@pytest.mark.parametrize("answer", [apply_repetition_penalty, _penalty_loop])
def test_penalizacion_correcta(answer):
    """Una solución con gather y scatter pasa, y también un bucle por filas con unique."""
    assert ex8.evaluate_repetition_penalty(answer).status == "correct"


def test_penalizacion_hechos():
    """Los hechos que comprueba el ejercicio: solo cambian los tokens de cada fila de idx, y siempre hacia abajo."""
    logits = torch.tensor([[2.0, -1.0, 0.5, 3.0], [2.0, -1.0, 0.5, 3.0]])
    idx = torch.tensor([[0, 1, 1], [3, 3, 3]])
    out = apply_repetition_penalty(logits, idx, 2.0)
    assert out.tolist() == [[1.0, -2.0, 0.5, 3.0], [2.0, -1.0, 0.5, 1.5]]
    assert torch.equal(apply_repetition_penalty(logits, idx, 1.0), logits)


def _all_divided(logits, idx, penalty):
    return logits.scatter(-1, idx, torch.gather(logits, -1, idx) / penalty)


def _in_place(logits, idx, penalty):
    seen = torch.gather(logits, -1, idx)
    return logits.scatter_(-1, idx, torch.where(seen > 0, seen / penalty, seen * penalty))


def _whole_batch(logits, idx, penalty):
    out = logits.clone()
    for token in idx.unique():
        out[:, token] = torch.where(out[:, token] > 0, out[:, token] / penalty, out[:, token] * penalty)
    return out


def _per_occurrence(logits, idx, penalty):
    out = logits.clone()
    for row, history in zip(out, idx, strict=True):
        for token in history:
            row[token] = row[token] / penalty if row[token] > 0 else row[token] * penalty
    return out


@pytest.mark.parametrize("answer, clue", [
    (_all_divided, "también los negativos"),
    (lambda logits, idx, p: _all_divided(logits, idx, 1 / p), "también los positivos"),
    (lambda logits, idx, p: apply_repetition_penalty(logits, idx, 1 / p), "al revés"),
    (lambda logits, idx, p: logits.scatter(-1, idx, torch.gather(logits, -1, idx) - p), "presencia"),
    (_whole_batch, "todo el lote"),
    (_per_occurrence, "una sola vez"),
    (lambda logits, idx, p: torch.where(logits > 0, logits / p, logits * p), "todo el vocabulario"),
    (lambda logits, idx, p: logits.clone(), "sin cambiar"),
    (lambda logits, idx, p: torch.softmax(apply_repetition_penalty(logits, idx, p), dim=-1), "probabilidades"),
    (_in_place, "cambia los tensores"),
    (lambda logits, idx, p: logits[0], "forma"),
    (lambda logits, idx, p: apply_repetition_penalty(logits, idx, p) + 0.1, "no coincide"),
    (lambda logits, idx, p: apply_repetition_penalty(logits, idx, p).tolist(), "tensor"),
    (lambda logits, idx, p: 1 / 0, "ZeroDivisionError"),
])
def test_penalizacion_errores_tipicos(answer, clue):
    """Dividir también los negativos, al revés, restar, todo el lote, una vez por aparición, todo el vocabulario..."""
    verdict = ex8.evaluate_repetition_penalty(answer)
    assert verdict.status == "wrong"
    assert clue is None or clue in verdict.message, verdict.message


# ----------------------------------------------------------------------------- los notebooks

def _check_cells(path):
    """Devuelve {fuente de la celda: texto que imprimió} de las celdas de código de un notebook."""
    import json
    from pathlib import Path

    notebook = json.loads((Path(__file__).resolve().parent.parent / path).read_text(encoding="utf-8"))
    return {"".join(cell["source"]): "".join("".join(out.get("text", "")) for out in cell["outputs"])
            for cell in notebook["cells"] if cell["cell_type"] == "code"}


@pytest.mark.parametrize("module", [ex1, ex2, ex3, ex4, ex5, ex6, ex7, ex8], ids=lambda m: m.__name__.split(".")[-1])
def test_cada_comprobacion_se_usa_en_el_notebook_9_y_en_las_soluciones(module):
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
