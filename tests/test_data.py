"""Pruebas de utils/data.py: corpus, vocabulario compacto, ventanas y DataLoaders."""

import json

import pytest
import torch

from utils.data import (
    CORPUS_PATH,
    CompactTokenizer,
    GPTDataset,
    byte_token_ids,
    create_dataloaders,
    extract_course_text,
    markdown_prose,
    read_corpus,
    split_token_ids,
)


def test_ventana_objetivo_desplazado_un_token():
    """El objetivo de cada ventana es su entrada desplazada una posición, y el stride separa las ventanas."""
    ds = GPTDataset(list(range(100, 130)), context_length=5, stride=3)
    x0, y0 = ds[0]
    x1, _ = ds[1]
    assert x0.tolist() == [100, 101, 102, 103, 104]
    assert y0.tolist() == [101, 102, 103, 104, 105]
    assert x1[0].item() == 103
    assert len(ds) == len(range(0, 30 - 5, 3))
    for x, y in ds:  # la última ventana también tiene su objetivo completo
        assert torch.equal(x[1:], y[:-1]) and len(y) == 5


def test_ninguna_ventana_cruza_el_corte():
    """Las ventanas de entrenamiento solo tienen tokens de antes del corte y las de validación, de después."""
    ids = torch.arange(1000)
    train_loader, val_loader = create_dataloaders(ids, context_length=8, batch_size=4, stride=3, val_fraction=0.2)
    split = int(1000 * 0.8)
    seen_train = torch.cat([torch.cat([x, y], 1) for x, y in train_loader])
    seen_val = torch.cat([torch.cat([x, y], 1) for x, y in val_loader])
    assert seen_train.max() < split
    assert seen_val.min() >= split
    train_ids, val_ids = split_token_ids(ids, 0.2)
    assert len(train_ids) == split and torch.equal(torch.cat([train_ids, val_ids]), ids)


def test_forma_de_los_lotes():
    """Cada lote de entrenamiento tiene forma (batch_size, context_length), de enteros."""
    train_loader, val_loader = create_dataloaders(torch.arange(500), context_length=10, batch_size=4)
    for loader in (train_loader, val_loader):
        x, y = next(iter(loader))
        assert x.shape == y.shape == (4, 10) and x.dtype == torch.long
    assert all(x.shape == (4, 10) for x, _ in train_loader)  # drop_last: ningún lote incompleto


def test_el_barajado_depende_de_la_semilla_y_de_la_epoca():
    """La misma semilla y época dan el mismo orden; otra época, otro orden."""
    ids = torch.arange(2000)
    a, _ = create_dataloaders(ids, 8, 4, seed=1)
    b, _ = create_dataloaders(ids, 8, 4, seed=1)
    first = [x for x, _ in a]
    assert all(torch.equal(p, q) for p, q in zip(first, [x for x, _ in b], strict=True))
    a.sampler.set_epoch(1)
    assert not all(torch.equal(p, q) for p, q in zip(first, [x for x, _ in a], strict=True))


def test_dos_procesos_reparten_el_mismo_lote_global():
    """Con dos réplicas, los lotes de cada una juntos son el lote global de un solo proceso."""
    ids = torch.arange(3000)
    single, _ = create_dataloaders(ids, 8, 8, seed=5)
    r0, _ = create_dataloaders(ids, 8, 4, seed=5, num_replicas=2, rank=0)
    r1, _ = create_dataloaders(ids, 8, 4, seed=5, num_replicas=2, rank=1)
    (xs, _), (x0, _), (x1, _) = next(iter(single)), next(iter(r0)), next(iter(r1))
    as_set = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731
    assert as_set(xs) == as_set(torch.cat([x0, x1]))


def test_tokenizador_compacto_ida_y_vuelta(tokenizer):
    """El vocabulario compacto corta como GPT-2, renumera y vuelve al mismo texto."""
    text = "El modelo aprende a predecir el siguiente token."
    tok = CompactTokenizer.from_text(tokenizer, text)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert len(ids) == len(tokenizer.encode(text))
    # los tokens del texto, los 256 de un byte y <|endoftext|>
    assert max(ids) < tok.n_vocab == len(set(tokenizer.encode(text)) | set(byte_token_ids(tokenizer))) + 1
    assert tok.decode([tok.eot_id]) == "<|endoftext|>"


def test_palabras_que_el_corpus_no_vio_no_se_pierden(tokenizer):
    """Un token que el corpus nunca vio se escribe con sus bytes: el texto vuelve entero, no como <|endoftext|>."""
    tok = CompactTokenizer.from_text(tokenizer, "el gato come pescado")
    for text in ("zzqx", "el ñandú come 🙂", "Straße<|endoftext|>"):
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        assert all(0 <= i < tok.n_vocab for i in ids)
    assert tok.eot_id not in tok.encode("zzqx")


def test_vocabulario_sin_bytes_avisa_de_lo_que_no_sabe_escribir(tokenizer):
    """Un tokenizador creado con ids sueltos (sin los de un byte) no cambia en silencio una palabra nueva: lo dice."""
    tok = CompactTokenizer(tokenizer, tokenizer.encode("el gato"))
    assert tok.decode(tok.encode("el gato")) == "el gato"
    with pytest.raises(ValueError, match=r"contiene 'zz'.*no está en el vocabulario compacto.*from_text"):
        tok.encode("zzqx")


def test_decodificar_ids_fuera_del_vocabulario(tokenizer):
    """Un id compacto mayor que el vocabulario o negativo es un error que da el rango, no otro token."""
    tok = CompactTokenizer.from_text(tokenizer, "hola")
    with pytest.raises(ValueError, match=rf"id de token {tok.n_vocab} no está en el vocabulario.*de 0 a "
                                         rf"{tok.n_vocab - 1}"):
        tok.decode([1, tok.n_vocab])
    with pytest.raises(ValueError, match="id de token -1 es negativo"):
        tok.decode([-1])
    with pytest.raises(TypeError, match="deben ser enteros"):
        tok.decode([1.0])
    assert tok.decode(torch.tensor(tok.encode("hola"))) == "hola"  # también un tensor 1-D


def test_lotes_a_partir_de_texto_sin_codificar():
    """create_dataloaders con el texto en vez de los ids dice que hay que codificarlo antes."""
    with pytest.raises(TypeError, match=r"no un texto; codifica antes el texto: token_ids = tokenizer.encode"):
        create_dataloaders("Había una vez", context_length=4, batch_size=2)
    with pytest.raises(TypeError, match="deben ser enteros"):
        create_dataloaders([0.5] * 100, context_length=4, batch_size=2)
    with pytest.raises(ValueError, match=r"secuencia 1-D.*flatten"):
        GPTDataset(torch.zeros(2, 50, dtype=torch.long), context_length=4, stride=4)


def test_corpus_del_curso_existe_y_esta_limpio():
    """data/corpus_curso.txt existe, es UTF-8 y tiene la prosa sin figuras ni direcciones de enlaces (se regenera
    a propósito, con python -m utils.data: que cambie una lección no cambia el corpus)."""
    text = read_corpus(CORPUS_PATH)
    assert len(text) > 50_000
    assert "Normalización" in text and "<img" not in text and "](" not in text
    assert text.count("<|endoftext|>") >= 8


def test_extraccion_solo_markdown(tmp_path):
    """extract_course_text toma las celdas markdown, limpia enlaces y figuras y separa los notebooks."""
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Título\n", "Ver [la guía](http://x.y) <img src='a.png'>"]},
        {"cell_type": "code", "source": ["print('código')"]},
    ]}
    (tmp_path / "notebooks" / "1_a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    text = extract_course_text(tmp_path, patterns=("notebooks/*.ipynb",))
    assert text == "# Título\nVer la guía\n<|endoftext|>\n"
    assert markdown_prose("[![Abrir en Colab](a.svg)](https://c)\nHola") == "Hola"


def test_errores_del_corpus(tmp_path):
    """Un corpus que no existe, vacío o que no es UTF-8 da un error en español que lo dice."""
    with pytest.raises(FileNotFoundError, match="No existe el fichero de corpus"):
        read_corpus(tmp_path / "no_esta.txt")
    empty = tmp_path / "vacio.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="está vacío"):
        read_corpus(empty)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("canción".encode("latin-1"))
    with pytest.raises(ValueError, match="no está en UTF-8.*0xf3"):
        read_corpus(latin)


def test_errores_de_tamanos():
    """Un corpus más corto que una ventana, un batch_size no positivo o un val_fraction fuera de (0, 1) fallan claro."""
    with pytest.raises(ValueError, match="una ventana necesita context_length \\+ 1 = 17"):
        GPTDataset(list(range(10)), context_length=16, stride=16)
    with pytest.raises(ValueError, match="parte de validación tiene"):
        create_dataloaders(torch.arange(100), context_length=16, batch_size=2)
    with pytest.raises(ValueError, match="batch_size debe ser un entero positivo, y vale 0"):
        create_dataloaders(torch.arange(1000), context_length=16, batch_size=0)
    with pytest.raises(ValueError, match="val_fraction"):
        split_token_ids(torch.arange(100), 1.5)
    with pytest.raises(ValueError, match="no sale ni un lote"):
        create_dataloaders(torch.arange(200), context_length=16, batch_size=64)
