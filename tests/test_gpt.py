"""Pruebas del bloque transformer y del modelo GPT, incluidos los números publicados del libro."""

import pytest
import torch

from utils.checks import check_config
from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.generation import generate_text_simple, text_to_token_ids, token_ids_to_text
from utils.gpt import GPTModel, TransformerBlock


def test_bloque_conserva_la_forma(tiny_cfg):
    """Un bloque transformer devuelve un tensor de la misma forma que recibe."""
    block = TransformerBlock(tiny_cfg)
    assert block(torch.rand(2, 4, 32)).shape == (2, 4, 32)


def test_bloque_es_pre_layernorm_con_atajos(tiny_cfg):
    """Con atención y feed-forward anuladas, el bloque es la identidad (solo quedan los atajos)."""
    block = TransformerBlock(tiny_cfg).eval()
    with torch.no_grad():
        block.att.out_proj.weight.zero_()
        block.att.out_proj.bias.zero_()
        block.ff.layers[2].weight.zero_()
        block.ff.layers[2].bias.zero_()
    x = torch.randn(2, 5, 32)
    torch.testing.assert_close(block(x), x)


def test_bloque_nombres_del_libro(tiny_cfg):
    """Los submódulos del bloque se llaman como en el libro y se crean en su orden."""
    names = [n for n, _ in TransformerBlock(tiny_cfg).named_children()]
    assert names == ["att", "ff", "norm1", "norm2", "drop_shortcut"]


def test_modelo_nombres_del_libro(tiny_cfg):
    """Los submódulos del modelo se llaman como en el libro y se crean en su orden."""
    names = [n for n, _ in GPTModel(tiny_cfg).named_children()]
    assert names == ["tok_emb", "pos_emb", "drop_emb", "trf_blocks", "final_norm", "out_head"]


def test_modelo_forma_de_los_logits(tiny_cfg):
    """El modelo devuelve (batch, num_tokens, vocab_size)."""
    model = GPTModel(tiny_cfg)
    assert model(torch.randint(0, 100, (3, 7))).shape == (3, 7, 100)


def test_modelo_es_causal(tiny_cfg):
    """Cambiar el último token no altera los logits de las posiciones anteriores."""
    torch.manual_seed(0)
    model = GPTModel(tiny_cfg).eval()
    x = torch.randint(0, 100, (1, 8))
    x_mod = x.clone()
    x_mod[0, -1] = (x[0, -1] + 1) % 100
    torch.testing.assert_close(model(x)[:, :-1], model(x_mod)[:, :-1])


@pytest.mark.slow
def test_numeros_del_libro_124m(gpt124_seed123):
    """163.009.536 parámetros, 124.412.160 sin la capa de salida y 621,83 MB en float32."""
    model = gpt124_seed123
    total = sum(p.numel() for p in model.parameters())
    assert total == 163_009_536
    assert total - model.out_head.weight.numel() == 124_412_160
    assert f"{total * 4 / 1024**2:.2f}" == "621.83"


@pytest.mark.slow
def test_logits_del_libro_124m(tokenizer):
    """Con la semilla 123, los primeros logits del lote del libro son los publicados.

    Como en el libro, el modelo recién creado sigue en modo entrenamiento (con dropout), así que el
    resultado depende de todo lo que consume el generador aleatorio: se crea aquí, no se comparte.
    """
    batch = torch.stack([torch.tensor(tokenizer.encode(t)) for t in ["Every effort moves you", "Every day holds a"]])
    torch.manual_seed(123)
    model = GPTModel(GPT_CONFIG_124M)
    assert model.training
    with torch.no_grad():
        logits = model(batch)
    assert logits.shape == (2, 4, 50257)
    expected = torch.tensor([0.3613, 0.4222, -0.0711])
    torch.testing.assert_close(logits[0, 0, :3], expected, atol=1e-4, rtol=0)


@pytest.mark.slow
def test_continuacion_voraz_del_libro(gpt124_seed123, tokenizer):
    """«Hello, I am» + 6 tokens da la continuación publicada en el libro."""
    model = gpt124_seed123.eval()
    ids = text_to_token_ids("Hello, I am", tokenizer)
    out = generate_text_simple(model, ids, max_new_tokens=6, context_size=1024)
    assert out[0].tolist() == [15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267]
    assert token_ids_to_text(out, tokenizer) == "Hello, I am Featureiman Byeswickattribute argue"


@pytest.mark.parametrize(
    "cfg, emb, layers, heads",
    [(GPT_CONFIG_355M, 1024, 24, 16), (GPT_CONFIG_774M, 1280, 36, 20), (GPT_CONFIG_1558M, 1600, 48, 25)],
)
def test_otros_tamanos_de_gpt2(cfg, emb, layers, heads):
    """Los tamaños medium, large y XL tienen las dimensiones publicadas y el resto igual que 124M."""
    assert (cfg["emb_dim"], cfg["n_layers"], cfg["n_heads"]) == (emb, layers, heads)
    assert cfg["vocab_size"] == 50257 and cfg["context_length"] == 1024
    check_config(cfg)


def test_config_124m_como_la_semilla():
    """GPT_CONFIG_124M es exactamente la del notebook de partida."""
    assert GPT_CONFIG_124M == {
        "vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12,
        "n_layers": 12, "drop_rate": 0.1, "qkv_bias": False,
    }


def test_modelo_con_la_configuracion_repartida(tiny_cfg):
    """GPTModel(**cfg) en vez de GPTModel(cfg): Python dice que no espera esos argumentos (__init__ es el del libro)."""
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        GPTModel(**tiny_cfg)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        TransformerBlock(**tiny_cfg)


def test_la_configuracion_se_valida_una_sola_vez(tiny_cfg, monkeypatch):
    """GPTModel llama a check_config una vez, no una por bloque."""
    import utils.gpt

    calls = []
    original = utils.gpt.check_config
    monkeypatch.setattr(utils.gpt, "check_config", lambda cfg, *a, **k: calls.append(1) or original(cfg, *a, **k))
    GPTModel({**tiny_cfg, "n_layers": 3})
    assert len(calls) == 1


def test_las_comprobaciones_estan_donde_entra_la_entrada():
    """GPTModel comprueba la configuración al crearse y los ids al empezar forward, con una línea cada vez;
    el bloque no comprueba nada por pasada (la entrada ya se comprobó al entrar en el modelo)."""
    import inspect

    init, forward = inspect.getsource(GPTModel.__init__), inspect.getsource(GPTModel.forward)
    assert "check_config(cfg)" in init and "check_token_ids(in_idx, self.cfg)" in forward
    assert "check_" not in inspect.getsource(TransformerBlock.forward)
    assert "raise" not in inspect.getsource(GPTModel) + inspect.getsource(TransformerBlock)


def test_gptmodel_y_bloque_tan_cortos_como_los_del_libro():
    """GPTModel y TransformerBlock juntos caben en unas 60 líneas de código (sin docstrings ni líneas en blanco)."""
    import ast
    import inspect

    total = 0
    for cls in (GPTModel, TransformerBlock):
        source = inspect.getsource(cls)
        doc = ast.parse(source).body[0].body[0]
        lines = [line for line in source.splitlines() if line.strip()]
        total += len(lines) - (doc.end_lineno - doc.lineno + 1)
    assert total <= 60, total


def test_modelo_en_el_dispositivo_meta(tiny_cfg):
    """En meta no hay valores que comprobar: el modelo da la forma de los logits; tipo y forma sí se comprueban."""
    model = GPTModel(tiny_cfg).to("meta")
    ids = torch.empty(2, 7, dtype=torch.long, device="meta")
    assert model(ids).shape == (2, 7, 100)
    with pytest.raises(TypeError, match="deben ser enteros"):
        model(torch.empty(2, 7, device="meta"))
    with pytest.raises(ValueError, match="context_length=16"):
        model(torch.empty(1, 17, dtype=torch.long, device="meta"))
