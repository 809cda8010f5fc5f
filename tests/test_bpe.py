"""Pruebas de utils/bpe.py: el BPE de GPT-2 da los mismos ids que tiktoken, el entrenamiento incremental
aprende lo mismo que recontar todo, y cada entrada mala da un error en español."""

import ast
import json
import random
import unicodedata
from collections import Counter

import pytest
import tiktoken
from conftest import ROOT

from utils.bpe import (
    ENDOFTEXT,
    GPT2_SPLIT_PATTERN,
    BPETokenizer,
    count_chunks,
    get_pairs,
    learn_merges,
    merge,
)
from utils.data import CORPUS_PATH, read_corpus

VARIED_TEXTS = [
    "",
    "a",
    "¿Qué tal? ¡Muy bien!",
    "El niño comió piña en el año 2024; la cigüeña, también.",
    "ÁÉÍÓÚ áéíóú ÀÈÌÒÙ âêîôû äëïöü ñÑ çÇ ß",
    " aprendizaje lenguaje también pingüino",
    "emoji: 😀🤖🇪🇸👩‍👩‍👧‍👦 y más 🎉🎉🎉",
    "espacios:  dos,   tres,    cuatro\t\ttab\n\nnuevas\n\n\n   líneas   \n",
    "   \n\n  \t ",
    "\r\n\r\nWindows\r\n",
    "1234567890 3,14 1.000.000 2e-5 0x1F -7 ½ ² ٣ 〇",
    "I'm you're we've they'll she'd it's Don'T 'S 'll",
    "def f(x):\n    return x ** 2  # cuadrado\n",
    "GPT-2 parte «el español» en más tokens: 2,65 caracteres por token.",
    "中文 日本語 한국어 русский ελληνικά العربية עברית हिन्दी",
    "\x00\x01\x1c\x1f\x7f\x85\xa0\u2028\u2029\u200b\ufeff",
    "tokens<|endoftext|>seguidos<|endoftext|><|endoftext|>",
    "medio <|endoftext| y <|endof",
]


@pytest.fixture(scope="module")
def gpt2():
    return tiktoken.get_encoding("gpt2")


@pytest.fixture(scope="module")
def ours():
    return BPETokenizer.from_gpt2()


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(CORPUS_PATH)


@pytest.fixture(scope="module")
def trained(corpus):
    return BPETokenizer.train(corpus[:30_000], vocab_size=600)


def random_text(rng, length, surrogates=False):
    """Texto aleatorio: sobre todo caracteres frecuentes y, a veces, cualquier carácter que Unicode 14 ya tenía
    (los posteriores, tiktoken aún no los clasifica; ver el docstring de utils/bpe.py)."""
    common = list(" \n\t  ¿¡ñáéíóúü'.,;:!?0123456789abcdeABC😀<|>") + ["'s", "'ll", "\r\n", "   "]
    out = []
    for _ in range(length):
        if rng.random() < 0.6:
            out.append(rng.choice(common))
            continue
        while True:
            c = chr(rng.randrange(0x110000))
            if 0xD800 <= ord(c) < 0xE000:
                if surrogates:
                    break
            elif unicodedata.category(c) != "Cn":  # asignado en la versión de Unicode de Python
                break
        out.append(c)
    return "".join(out)


def test_vocabulario_de_gpt2_igual_que_el_de_tiktoken(ours, gpt2):
    """Los 50 256 tokens de vocab.bpe tienen los mismos bytes e ids que los de tiktoken."""
    assert ours.ranks == gpt2._mergeable_ranks
    assert ours.special_tokens == {ENDOFTEXT: 50256}
    assert ours.n_vocab == gpt2.n_vocab == 50257


def test_gpt2_igual_que_tiktoken_en_el_corpus(ours, gpt2, corpus):
    """Todo el corpus del curso da los mismos ids, con <|endoftext|> como token especial."""
    assert ours.encode(corpus, allowed_special={ENDOFTEXT}) == gpt2.encode(corpus, allowed_special={ENDOFTEXT})


@pytest.mark.parametrize("text", VARIED_TEXTS)
def test_gpt2_igual_que_tiktoken_en_textos_variados(ours, gpt2, text):
    """Tildes, ñ, ¿¡, emoji, espacios y saltos seguidos, cifras, contracciones, código, otros alfabetos y
    caracteres de control: los mismos ids que tiktoken, con y sin tokens especiales, y vuelta al mismo texto."""
    assert ours.encode(text, allowed_special="all") == gpt2.encode(text, allowed_special="all")
    assert ours.encode_ordinary(text) == gpt2.encode_ordinary(text)
    assert ours.decode(ours.encode(text, allowed_special="all")) == text


def test_gpt2_igual_que_tiktoken_en_texto_aleatorio(ours, gpt2):
    """Cadenas aleatorias de todo Unicode 14, surrogates sueltos incluidos (los dos los cambian por «�»)."""
    if not unicodedata.unidata_version.startswith("14.0"):
        pytest.skip(f"Python trae Unicode {unicodedata.unidata_version}; la prueba elige caracteres de Unicode 14")
    rng = random.Random(123)
    for _ in range(400):
        text = random_text(rng, rng.randrange(60), surrogates=True)
        assert ours.encode_ordinary(text) == gpt2.encode_ordinary(text), repr(text)


def test_un_token_especial_no_permitido_falla_como_en_tiktoken(ours, gpt2):
    """Sin permiso, <|endoftext|> en el texto es un error (en español); con encode_ordinary es texto normal."""
    text = f"fin{ENDOFTEXT}"
    with pytest.raises(ValueError):
        gpt2.encode(text)
    with pytest.raises(ValueError, match="no está permitido.*allowed_special"):
        ours.encode(text)
    assert ours.encode_ordinary(text) == gpt2.encode_ordinary(text) == gpt2.encode(text, disallowed_special=())
    assert ours.encode(text, allowed_special={ENDOFTEXT})[-1] == 50256


@pytest.mark.parametrize("which", ["gpt2", "entrenado"])
def test_decodificar_lo_codificado_devuelve_el_texto(ours, trained, which):
    """decode(encode(x)) == x para texto Unicode aleatorio (sin surrogates sueltos, que UTF-8 no puede escribir)."""
    tokenizer = ours if which == "gpt2" else trained
    rng = random.Random(7)
    for _ in range(300):
        text = random_text(rng, rng.randrange(80))
        assert tokenizer.decode(tokenizer.encode(text, allowed_special="all")) == text, repr(text)


def test_entrenar_da_el_tamano_pedido_y_endoftext_al_final(trained):
    """vocab_size cuenta los 256 bytes, las fusiones y el token especial, que queda con el último id."""
    assert trained.n_vocab == 600
    assert len(trained.vocab) == 599
    assert trained.special_tokens == {ENDOFTEXT: 599}
    assert all(trained.vocab[i] == bytes([i]) for i in range(256))


def test_entrenar_es_determinista(corpus):
    """El mismo texto da siempre el mismo vocabulario (los empates se deciden por los ids, no por el azar)."""
    a = BPETokenizer.train(corpus[:20_000], 500)
    b = BPETokenizer.train(corpus[:20_000], 500)
    assert a.vocab == b.vocab


def naive_merges(text, num_merges):
    """El entrenamiento más sencillo: tras cada fusión, vuelve a contar todas las parejas de todo el texto."""
    words = [list(chunk.encode("utf-8")) for chunk in count_chunks(text, GPT2_SPLIT_PATTERN, (ENDOFTEXT,)).elements()]
    merges = []
    for new_id in range(256, 256 + num_merges):
        counts = Counter(pair for ids in words for pair in get_pairs(ids))
        pair = min(counts, key=lambda p: (-counts[p], p))  # la más frecuente; a igual cuenta, la de ids menores
        merges.append(pair)
        words = [merge(ids, pair, new_id) for ids in words]
    return merges


@pytest.mark.parametrize("seed", [0, 1])
def test_cuentas_incrementales_igual_que_recontar_todo(corpus, seed):
    """learn_merges, que solo recuenta las palabras que cambian, aprende las mismas fusiones que recontar todo."""
    start = random.Random(seed).randrange(len(corpus) - 3000)
    text = corpus[start:start + 3000]
    assert learn_merges(count_chunks(text, GPT2_SPLIT_PATTERN, (ENDOFTEXT,)), 150) == naive_merges(text, 150)


def test_cuentas_incrementales_con_letras_repetidas():
    """Con «aaaa» las parejas se solapan: fusionar de izquierda a derecha y recontar deben coincidir."""
    text = "aaaa aaa aa a baaab aaaaaaa abab ababab " * 3
    num = 12
    assert learn_merges(count_chunks(text, GPT2_SPLIT_PATTERN, ()), num) == naive_merges(text, num)


def test_merge_de_izquierda_a_derecha():
    """merge sustituye cada aparición sin solaparlas."""
    assert merge([5, 6, 7, 5, 6], (5, 6), 256) == [256, 7, 256]
    assert merge([1, 1, 1], (1, 1), 300) == [300, 1]
    assert get_pairs([5, 6, 7]) == [(5, 6), (6, 7)]


def test_guardar_y_cargar_da_el_mismo_tokenizador(trained, corpus, tmp_path):
    """save y load conservan vocabulario, tokens especiales y expresión regular: los mismos ids."""
    path = tmp_path / "bpe.json"
    trained.save(path)
    loaded = BPETokenizer.load(path)
    assert loaded.vocab == trained.vocab
    assert loaded.special_tokens == trained.special_tokens
    assert loaded.pattern == trained.pattern
    assert loaded.encode(corpus, allowed_special="all") == trained.encode(corpus, allowed_special="all")
    assert json.loads(path.read_text(encoding="utf-8"))["vocab"][256] == trained.vocab[256].hex()


def test_tiktoken_con_nuestros_rangos_da_los_mismos_ids(trained, corpus):
    """tiktoken.Encoding con el vocabulario aprendido codifica y decodifica igual que BPETokenizer."""
    fast = trained.to_tiktoken()
    assert fast.n_vocab == trained.n_vocab
    assert fast.encode(corpus, allowed_special="all") == trained.encode(corpus, allowed_special="all")
    rng = random.Random(3)
    for text in VARIED_TEXTS + [random_text(rng, 50) for _ in range(200)]:
        ids = trained.encode(text, allowed_special="all")
        assert fast.encode(text, allowed_special="all") == ids, repr(text)
        assert fast.decode(ids) == trained.decode(ids)


def test_gpt2_pasado_a_tiktoken_es_el_de_tiktoken(ours, gpt2, corpus):
    """to_tiktoken() del BPE de GPT-2 da los mismos ids que tiktoken.get_encoding("gpt2")."""
    assert ours.to_tiktoken().encode(corpus, allowed_special="all") == gpt2.encode(corpus, allowed_special="all")


# --- Errores en español ---

@pytest.mark.parametrize("vocab_size, error, match", [
    (255, ValueError, "no puede ser menor que 257"),
    (256, ValueError, "no puede ser menor que 257"),
    (-1, ValueError, "no puede ser menor"),
    (1000.0, TypeError, "número entero"),
    ("1000", TypeError, "número entero"),
    (True, TypeError, "número entero"),
    (None, TypeError, "número entero"),
])
def test_vocab_size_malo_da_error_en_espanol(vocab_size, error, match):
    with pytest.raises(error, match=match):
        BPETokenizer.train("hola hola", vocab_size)


@pytest.mark.parametrize("text, error, match", [
    ("", ValueError, "está vacío"),
    (ENDOFTEXT * 3, ValueError, "está vacío"),
    (b"hola", TypeError, "decode\\('utf-8'\\)"),
    (["hola", "adiós"], TypeError, "debe ser un str"),
    (None, TypeError, "debe ser un str"),
])
def test_texto_de_entrenamiento_malo_da_error_en_espanol(text, error, match):
    with pytest.raises(error, match=match):
        BPETokenizer.train(text, 300)


def test_texto_corto_para_tantas_fusiones_da_error_en_espanol():
    with pytest.raises(ValueError, match="solo da para 2 fusiones"):
        BPETokenizer.train("abc", 300)


def test_tokens_especiales_malos_dan_error_en_espanol():
    with pytest.raises(TypeError, match="special_tokens"):
        BPETokenizer.train("hola", 300, special_tokens=ENDOFTEXT)
    with pytest.raises(ValueError, match="repetidos"):
        BPETokenizer.train("hola", 300, special_tokens=(ENDOFTEXT, ENDOFTEXT))


@pytest.mark.parametrize("ids, error, match", [
    ([600], ValueError, "no está en el vocabulario: los ids van de 0 a 599"),
    ([-1], ValueError, "no está en el vocabulario"),
    ([1.0], TypeError, "deben ser enteros"),
    ("abc", TypeError, "lista de ids"),
    (None, TypeError, "lista de ids"),
])
def test_decodificar_ids_fuera_del_vocabulario_da_error_en_espanol(trained, ids, error, match):
    with pytest.raises(error, match=match):
        trained.decode(ids)


def test_decodificar_un_tensor_pide_tolist(trained):
    import torch

    with pytest.raises(TypeError, match="tolist"):
        trained.decode(torch.tensor([1, 2]))


def test_codificar_mal_da_error_en_espanol(trained):
    with pytest.raises(TypeError, match="str"):
        trained.encode(b"hola")
    with pytest.raises(TypeError, match="con llaves"):
        trained.encode("hola", allowed_special=ENDOFTEXT)
    with pytest.raises(ValueError, match="no es un token especial"):
        trained.encode("hola", allowed_special={"<|fin|>"})


def test_fichero_que_no_existe_da_error_en_espanol(tmp_path):
    with pytest.raises(FileNotFoundError, match="No existe el fichero de tokenizador"):
        BPETokenizer.load(tmp_path / "no_existe.json")


@pytest.mark.parametrize("damage, match", [
    (lambda text: text[: len(text) // 2], "no es JSON válido"),
    (lambda text: json.dumps({"vocab": []}), "no es un tokenizador guardado"),
    (lambda text: text.replace('"version": 1', '"version": 99'), "versión 99"),
    (lambda text: text.replace('"2c"', '"zz"', 1), "hexadecimal"),
    (lambda text: text.replace('"2c"', '"20"', 1), "tokens repetidos"),
    (lambda text: text.replace('"pattern"', '"patron"', 1), "pattern"),
    (lambda text: text.replace('"<|endoftext|>": 599', '"<|endoftext|>": 9', 1), "deben seguir"),
    (lambda text: text.replace("(?!\\\\S)", "(?!\\\\S", 1), "expresión regular"),
])
def test_fichero_danado_da_error_en_espanol(trained, tmp_path, damage, match):
    path = tmp_path / "bpe.json"
    trained.save(path)
    text = path.read_text(encoding="utf-8")
    damaged = damage(text)
    assert damaged != text
    path.write_text(damaged, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        BPETokenizer.load(path)


def test_fichero_que_no_es_utf8_da_error_en_espanol(tmp_path):
    path = tmp_path / "bpe.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="no es JSON válido"):
        BPETokenizer.load(path)


def test_fichero_sin_un_byte_da_error_en_espanol(trained, tmp_path):
    """Un vocabulario al que le falta un byte no podría codificar cualquier texto."""
    path = tmp_path / "bpe.json"
    trained.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["vocab"][65] = "ffff"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="faltan 1 de los 256 bytes"):
        BPETokenizer.load(path)


# --- El notebook 11 escribe las mismas funciones que utils/bpe.py ---

def test_las_celdas_del_notebook_11_son_las_de_utils_bpe():
    """Cada función o clase que una celda del notebook 11 define con un nombre de utils/bpe.py es idéntica a
    la del módulo (la lección las escribe paso a paso; la celda final, entera)."""
    module = {node.name: ast.unparse(node) for node in ast.parse((ROOT / "utils" / "bpe.py").read_text()).body
              if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    nb = json.loads((ROOT / "notebooks" / "11_tokenizador_espanol.ipynb").read_text(encoding="utf-8"))
    seen = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.parse("".join(cell["source"])).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in module:
                assert ast.unparse(node) == module[node.name], f"{node.name}: distinto en el notebook y en utils/bpe.py"
                seen.add(node.name)
    assert {"get_pairs", "merge", "learn_merges", "bpe", "BPETokenizer"} <= seen
