"""Pruebas del muestreo: temperatura, top-k, top-p y generate con un torch.Generator."""

import math

import pytest
import torch

from utils.checks import check_sampling_args
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.sampling import apply_temperature, generate, top_k_filter, top_p_filter


@pytest.fixture
def model(tiny_cfg):
    torch.manual_seed(0)
    return GPTModel(tiny_cfg).eval()


def test_temperatura_divide_los_logits():
    """apply_temperature divide entre la temperatura: 0,5 duplica las distancias entre logits."""
    logits = torch.tensor([1.0, 2.0, -3.0])
    torch.testing.assert_close(apply_temperature(logits, 0.5), torch.tensor([2.0, 4.0, -6.0]))


def test_temperatura_baja_concentra_y_alta_reparte():
    """Con temperatura baja el más probable gana probabilidad; con alta la distribución se acerca a uniforme."""
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])
    base = torch.softmax(logits, dim=-1)
    cold = torch.softmax(apply_temperature(logits, 0.5), dim=-1)
    hot = torch.softmax(apply_temperature(logits, 10.0), dim=-1)
    assert cold[0] > base[0] > hot[0]
    assert hot.max() - hot.min() < 0.1


def test_temperatura_cercana_a_cero_reproduce_la_voraz(model):
    """temperature=1e-4 muestrea, pero la distribución es casi un uno en el argmax: mismos tokens que la voraz."""
    idx = torch.tensor([[5, 7, 11], [1, 2, 3]])
    greedy = generate_text_simple(model, idx, max_new_tokens=8, context_size=16)
    sampled = generate(model, idx, 8, 16, temperature=1e-4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(sampled, greedy)


def test_temperatura_cero_es_la_voraz(model):
    """temperature=0 (el valor por defecto) da exactamente los tokens de generate_text_simple."""
    idx = torch.randint(0, 100, (2, 14), generator=torch.Generator().manual_seed(3))
    greedy = generate_text_simple(model, idx, max_new_tokens=6, context_size=16)  # pasa de 16: recorta
    assert torch.equal(generate(model, idx, 6, 16), greedy)


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_top_k_deja_exactamente_k_candidatos(k):
    """Sin empates, quedan k valores finitos por fila y son los k mayores, con su valor original."""
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(k))
    out = top_k_filter(logits, k)
    assert torch.isfinite(out).sum(dim=-1).tolist() == [k] * 4
    top = torch.topk(logits, k, dim=-1).indices
    assert torch.equal(out.gather(-1, top), logits.gather(-1, top))
    assert torch.isneginf(out).sum() == 4 * (50 - k)


def test_top_k_no_cambia_la_entrada_y_admite_k_mayor_que_el_vocabulario():
    """top_k_filter devuelve un tensor nuevo; con k mayor que el vocabulario no descarta nada."""
    logits = torch.randn(2, 5)
    original = logits.clone()
    torch.testing.assert_close(top_k_filter(logits, 100), logits)
    top_k_filter(logits, 2)
    assert torch.equal(logits, original)


def _probs_from(values):
    """Logits cuyo softmax da exactamente (salvo redondeo) las probabilidades dadas."""
    return torch.log(torch.tensor(values))


@pytest.mark.parametrize("p, kept", [(0.3, [0]), (0.75, [0, 1]), (0.85, [0, 1, 2]), (0.97, [0, 1, 2, 3]),
                                     (1.0, [0, 1, 2, 3, 4])])
def test_top_p_deja_el_menor_conjunto_que_llega_a_p(p, kept):
    """Con probabilidades 0,5 0,3 0,15 0,04 0,01 (desordenadas), top-p conserva los más probables justos."""
    probs = [0.15, 0.5, 0.01, 0.3, 0.04]  # en orden de probabilidad: índices 1, 3, 0, 4, 2
    order = [1, 3, 0, 4, 2]
    out = top_p_filter(_probs_from(probs), p)
    expected = sorted(order[i] for i in kept)
    assert torch.isfinite(out).nonzero().flatten().tolist() == expected


def test_top_p_propiedad_con_logits_aleatorios():
    """En cada fila lo conservado suma al menos p, y sin su token menos probable ya no llega a p."""
    logits = torch.randn(20, 100, generator=torch.Generator().manual_seed(0)) * 2
    for p in (0.1, 0.5, 0.9):
        out = top_p_filter(logits, p)
        probs = torch.softmax(logits, dim=-1)
        for row in range(20):
            keep = torch.isfinite(out[row])
            mass = probs[row][keep].sum().item()
            smallest = probs[row][keep].min().item()
            assert mass >= p - 1e-6
            assert mass - smallest < p
            # lo conservado son los más probables: ninguno descartado supera al menor conservado
            assert probs[row][~keep].max().item() <= smallest


def test_top_p_conserva_siempre_al_menos_un_token():
    """Aunque p sea diminuto, el token más probable se queda."""
    out = top_p_filter(torch.tensor([[0.0, 5.0, 1.0]]), 1e-9)
    assert torch.isfinite(out).tolist() == [[False, True, False]]


def test_mismo_generador_mismos_sorteos(model):
    """Dos generadores con la misma semilla dan los mismos tokens; otra semilla, otros."""
    idx = torch.tensor([[5, 7, 11]])

    def run(seed):
        return generate(model, idx, 12, 16, temperature=1.5, top_k=40, generator=torch.Generator().manual_seed(seed))

    first = run(123)
    assert torch.equal(first, run(123))
    assert not torch.equal(first, run(124))


def test_muestreo_no_sale_de_top_k(model):
    """Con top_k=1 muestrear es lo mismo que elegir el máximo, por alta que sea la temperatura."""
    idx = torch.tensor([[5, 7, 11]])
    greedy = generate_text_simple(model, idx, 6, 16)
    assert torch.equal(generate(model, idx, 6, 16, temperature=5.0, top_k=1, generator=torch.Generator()), greedy)


def test_muestreo_reparte_como_las_probabilidades(model):
    """Las frecuencias de 4000 sorteos del primer token nuevo se parecen a las probabilidades del modelo."""
    idx = torch.tensor([[5, 7, 11]])
    with torch.no_grad():
        probs = torch.softmax(model(idx)[0, -1] / 0.5, dim=-1)
    batch = idx.repeat(4000, 1)
    draws = generate(model, batch, 1, 16, temperature=0.5, generator=torch.Generator().manual_seed(0))[:, -1]
    freq = torch.bincount(draws, minlength=100).float() / 4000
    assert (freq - probs).abs().max() < 0.03


def test_eos_para_la_generacion(model):
    """Si el único token posible es eos_id, la generación para sin añadirlo."""
    idx = torch.tensor([[5, 7, 11]])
    with torch.no_grad():
        first = model(idx)[0, -1].argmax().item()
    out = generate(model, idx, 5, 16, eos_id=first)
    assert torch.equal(out, idx)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"temperature": -0.5}, ValueError, r"temperature debe ser un número mayor o igual que 0, y vale -0.5"),
    ({"temperature": math.nan}, ValueError, r"temperature debe ser un número mayor o igual que 0"),
    ({"temperature": "alta"}, TypeError, r"temperature debe ser un número"),
    ({"temperature": 1.0, "top_k": 0}, ValueError, r"top_k debe ser un entero mayor o igual que 1, y vale 0"),
    ({"temperature": 1.0, "top_k": 2.5}, TypeError, r"top_k debe ser un entero"),
    ({"temperature": 1.0, "top_p": 0.0}, ValueError, r"top_p debe estar en \(0, 1\], y vale 0.0"),
    ({"temperature": 1.0, "top_p": 1.5}, ValueError, r"top_p debe estar en \(0, 1\], y vale 1.5"),
    ({"temperature": 1.0, "generator": 123}, TypeError, r"generator debe ser un torch.Generator.*manual_seed"),
    ({"eos_id": -1}, ValueError, r"eos_id debe ser None o un id de token"),
])
def test_argumentos_de_muestreo_no_validos(model, kwargs, error, pattern):
    """Cada argumento de muestreo sin sentido da un error en español que nombra el valor."""
    with pytest.raises(error, match=pattern):
        generate(model, torch.tensor([[1, 2]]), 3, 16, **kwargs)


def test_generate_comprueba_los_argumentos_comunes(model):
    """generate pasa por check_generation_args: un context_size mayor que el del modelo se rechaza."""
    with pytest.raises(ValueError, match=r"context_size \(32\) es mayor que el contexto del modelo"):
        generate(model, torch.tensor([[1, 2]]), 3, 32)


def test_generador_en_otro_dispositivo():
    """Un generador de otro tipo de dispositivo que idx se rechaza antes de generar (aquí idx está en meta)."""
    with pytest.raises(ValueError, match=r"generator está en cpu e idx en meta"):
        check_sampling_args(1.0, generator=torch.Generator(), device=torch.device("meta"))


def test_filtros_sin_comprobaciones_por_token():
    """Los filtros son la cuenta y nada más: generate comprueba sus argumentos una vez, al empezar."""
    import inspect

    for function in (apply_temperature, top_k_filter, top_p_filter):
        assert "check_" not in inspect.getsource(function), function.__name__


class ScriptedModel(torch.nn.Module):
    """Modelo de prueba que, en cada paso, da el logit más alto al token que marca su guion (batch, pasos)."""

    def __init__(self, script, start, vocab_size=10):
        super().__init__()
        self.script, self.start, self.vocab_size = script, start, vocab_size
        self.dummy = torch.nn.Parameter(torch.zeros(1))  # para que el modelo tenga dispositivo

    def forward(self, idx):
        step = idx.shape[1] - self.start
        logits = torch.zeros(idx.shape[0], idx.shape[1], self.vocab_size)
        logits[torch.arange(idx.shape[0]), -1, self.script[:, step]] = 10.0
        return logits


def test_eos_rellena_las_secuencias_terminadas_y_para_cuando_acaban_todas():
    """Una fila que elige eos_id antes que las demás se rellena con eos_id; cuando todas lo eligen, se para."""
    eos = 9
    script = torch.tensor([[3, eos, 4, 4], [5, 6, eos, 7]])
    idx = torch.tensor([[1], [2]])
    out = generate(ScriptedModel(script, start=1), idx, max_new_tokens=4, context_size=8, eos_id=eos)
    assert out.tolist() == [[1, 3, eos], [2, 5, 6]]
