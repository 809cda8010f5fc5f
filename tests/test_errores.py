"""Cada entrada incorrecta produce un error claro en español, en el borde de nuestra API.

LEARNER_MISTAKES es el catálogo de errores típicos de quien sigue el curso; de él sale la tabla
«Errores que ven los alumnos» de MANTENIMIENTO.md (y una prueba comprueba que está al día). Para añadir un caso,
añade un Mistake a la lista y regenera la tabla con: .venv/bin/python -m tests.test_errores
"""

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
import torch

import curso
from utils.attention import MultiHeadAttention
from utils.checks import check_config
from utils.config import GPT_CONFIG_124M
from utils.exercises.common import CHECK_CFG
from utils.generation import generate_text_simple, text_to_token_ids, token_ids_to_text
from utils.gpt import GPTModel, TransformerBlock
from utils.sampling import generate
from utils.tokenizer import install_gpt2_bpe_files

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "MANTENIMIENTO.md"  # la tabla de errores vive en el documento de mantenimiento
TABLE_START = "<!-- tabla generada por tests/test_errores.py: no la edites a mano -->"
TABLE_END = "<!-- fin de la tabla de errores -->"
TINY = CHECK_CFG  # la configuración diminuta de las pruebas y las comprobaciones: los casos tardan milisegundos


class Mistake(NamedTuple):
    """Un error típico de quien aprende y el mensaje que debe ver.

    Parámetros:
        what: qué hace quien aprende, en español (primera columna de la tabla).
        code: el código que lo reproduce, como lo escribiría en el notebook.
        run: función sin argumentos que comete el error.
        error: la clase de excepción esperada.
        match: expresión regular que el mensaje debe contener.
    """

    what: str
    code: str
    run: Callable
    error: type
    match: str


def _tokenizer():
    import tiktoken

    install_gpt2_bpe_files()  # sin red: copia los ficheros BPE a la caché si faltan
    return tiktoken.get_encoding("gpt2")


def _model():
    torch.manual_seed(0)
    return GPTModel(TINY).eval()


LEARNER_MISTAKES = [
    Mistake("Pasar la configuración repartida en argumentos", "GPTModel(**cfg)",
            lambda: GPTModel(**TINY), TypeError, r"unexpected keyword argument 'vocab_size'"),
    Mistake("Usar el nombre de otra biblioteca para una clave", 'GPTModel({**cfg, "dropout": 0.1})',
            lambda: GPTModel({**TINY, "dropout": 0.1}), ValueError, r"¿querías decir 'drop_rate'\?"),
    Mistake("Escribir mal una clave", 'GPTModel({**cfg, "n_layer": 24})',
            lambda: GPTModel({**TINY, "n_layer": 24}), ValueError, r"¿querías decir 'n_layers'\?"),
    Mistake("Olvidar una clave", "GPTModel(cfg_sin_n_heads)",
            lambda: GPTModel({k: v for k, v in TINY.items() if k != "n_heads"}), ValueError,
            r"le faltan las claves \['n_heads'\]"),
    Mistake("Elegir un `emb_dim` que no se reparte entre las cabezas", 'GPTModel({**cfg, "emb_dim": 30})',
            lambda: GPTModel({**TINY, "emb_dim": 30}), ValueError, r"prueba emb_dim=32"),
    Mistake("Pedir un modelo sin bloques", 'GPTModel({**cfg, "n_layers": 0})',
            lambda: GPTModel({**TINY, "n_layers": 0}), ValueError, r"n_layers'\] debe ser un entero positivo"),
    Mistake("Dar el dropout en porcentaje", 'GPTModel({**cfg, "drop_rate": 10})',
            lambda: GPTModel({**TINY, "drop_rate": 10}), ValueError, r"probabilidad en \[0, 1\)"),
    Mistake("Escribir `qkv_bias` como texto", 'GPTModel({**cfg, "qkv_bias": "no"})',
            lambda: GPTModel({**TINY, "qkv_bias": "no"}), ValueError, r"debe ser True o False"),
    Mistake("Crear una atención sin cabezas", "MultiHeadAttention(768, 768, 1024, 0.1, num_heads=0)",
            lambda: MultiHeadAttention(768, 768, 1024, 0.1, num_heads=0), ValueError,
            r"num_heads debe ser un entero positivo"),
    Mistake("Repartir la atención en cabezas que no dividen `d_out`",
            "MultiHeadAttention(768, 768, 1024, 0.1, num_heads=5)",
            lambda: MultiHeadAttention(768, 768, 1024, 0.1, num_heads=5), ValueError,
            r"d_out \(768\) debe ser divisible entre num_heads \(5\); prueba d_out=770"),
    Mistake("Crear un bloque con una configuración incompleta", "TransformerBlock(cfg_sin_context_length)",
            lambda: TransformerBlock({k: v for k, v in TINY.items() if k != "context_length"}), ValueError,
            r"le faltan las claves \['context_length'\]"),
    Mistake("Pasar al modelo un tensor `float` en vez de ids", "model(torch.rand(1, 4))",
            lambda: _model()(torch.rand(1, 4)), TypeError, r"deben ser enteros.*\.long\(\)"),
    Mistake("Pasar ids sin la dimensión del lote", "model(torch.tensor([1, 2, 3]))",
            lambda: _model()(torch.tensor([1, 2, 3])), ValueError, r"unsqueeze\(0\)"),
    Mistake("Usar un id que no está en el vocabulario", "model(torch.tensor([[1, 2, 100]]))",
            lambda: _model()(torch.tensor([[1, 2, 100]])), ValueError, r"fuera del vocabulario"),
    Mistake("Pasar más tokens de los que caben en el contexto", "model(torch.zeros(1, 17, dtype=torch.long))",
            lambda: _model()(torch.zeros(1, 17, dtype=torch.long)), ValueError, r"recórtala"),
    Mistake("Cambiar el orden de los argumentos al generar", "generate_text_simple(idx, model, 6, 16)",
            lambda: generate_text_simple(torch.tensor([[1]]), _model(), 6, 16), TypeError,
            r"¿has cambiado el orden de los argumentos\?"),
    Mistake("Pedir un número negativo de tokens", "generate_text_simple(model, idx, -1, 16)",
            lambda: generate_text_simple(_model(), torch.tensor([[1]]), -1, 16), ValueError,
            r"max_new_tokens debe ser un entero mayor o igual que 0"),
    Mistake("Dar un `context_size` mayor que el del modelo", "generate_text_simple(model, idx, 6, 1024)",
            lambda: generate_text_simple(_model(), torch.tensor([[1]]), 6, 1024), ValueError,
            r"context_size \(1024\) es mayor que el contexto del modelo"),
    Mistake("Generar con una lista en vez de un tensor", "generate_text_simple(model, [1, 2], 6, 16)",
            lambda: generate_text_simple(_model(), [1, 2], 6, 16), ValueError, r"idx debe ser un tensor de ids"),
    Mistake("Sortear con temperatura negativa", "generate(model, idx, 6, 16, temperature=-1)",
            lambda: generate(_model(), torch.tensor([[1]]), 6, 16, temperature=-1), ValueError,
            r"temperature debe ser un número mayor o igual que 0"),
    Mistake("Pedir `top_k=0`", "generate(model, idx, 6, 16, temperature=1, top_k=0)",
            lambda: generate(_model(), torch.tensor([[1]]), 6, 16, temperature=1, top_k=0), ValueError,
            r"top_k debe ser un entero mayor o igual que 1"),
    Mistake("Dar `top_p` en porcentaje", "generate(model, idx, 6, 16, temperature=1, top_p=90)",
            lambda: generate(_model(), torch.tensor([[1]]), 6, 16, temperature=1, top_p=90), ValueError,
            r"top_p debe estar en \(0, 1\]"),
    Mistake("Pasar la semilla en vez de un generador", "generate(model, idx, 6, 16, temperature=1, generator=123)",
            lambda: generate(_model(), torch.tensor([[1]]), 6, 16, temperature=1, generator=123), TypeError,
            r"generator debe ser un torch.Generator"),
    Mistake("Tokenizar una lista de textos", 'text_to_token_ids(["Hola"], tokenizer)',
            lambda: text_to_token_ids(["Hola"], _tokenizer()), TypeError, r"text debe ser una cadena de texto"),
    Mistake("Olvidar crear el tokenizador", 'text_to_token_ids("Hola", None)',
            lambda: text_to_token_ids("Hola", None), TypeError, r"tiktoken.get_encoding\('gpt2'\)"),
    Mistake("Convertir en texto los logits en vez de los ids", "token_ids_to_text(logits, tokenizer)",
            lambda: token_ids_to_text(torch.rand(1, 4), _tokenizer()), TypeError,
            r"debe ser un tensor de enteros.*argmax"),
    Mistake("Convertir en texto un id que no existe", "token_ids_to_text(torch.tensor([50257]), tokenizer)",
            lambda: token_ids_to_text(torch.tensor([50257]), _tokenizer()), ValueError,
            r"id de token 50257 no existe.*de 0 a 50256"),
    Mistake("Convertir en texto un lote de varias secuencias", "token_ids_to_text(out, tokenizer)",
            lambda: token_ids_to_text(torch.tensor([[1, 2], [3, 4]]), _tokenizer()), ValueError,
            r"lote de 2 secuencias"),
    # --- entrenar y explorar (notebook 10): vocabulario compacto, lotes, exploradores, puntos de control ---
    Mistake("Convertir en texto un id mayor que el vocabulario compacto", "compact.decode([compact.n_vocab])",
            lambda: _compact().decode([_compact().n_vocab]), ValueError, r"no está en el vocabulario: los ids válidos"),
    Mistake("Convertir en texto un id negativo con el vocabulario compacto", "compact.decode([-1])",
            lambda: _compact().decode([-1]), ValueError, r"id de token -1 es negativo"),
    Mistake("Crear los lotes con el texto sin codificar", "create_dataloaders(text, 64, 16)",
            lambda: _create_dataloaders("Había una vez", 64, 16), TypeError, r"codifica antes el texto"),
    Mistake("Explorar una capa que el modelo no tiene", 'plot_attention(model, compact, "Hola", layer=2)',
            lambda: _plot_attention(layer=2), ValueError, r"La capa 2 no existe: el modelo tiene n_layers=2"),
    Mistake("Explorar una cabeza negativa", 'plot_attention(model, compact, "Hola", head=-1)',
            lambda: _plot_attention(head=-1), ValueError, r"La cabeza -1 no existe.*de 0 a 3"),
    Mistake("Explorar con el texto de partida vacío", 'plot_sampling(model, compact, "")',
            lambda: _plot_sampling(""), ValueError, r"El texto de partida está vacío"),
    Mistake("Cargar un punto de control con el JSON dañado", 'load_checkpoint("gpt", model)',
            lambda: _load_damaged_checkpoint(), ValueError, r"está dañado: no es un JSON válido"),
]


def _compact():
    from utils.data import CompactTokenizer

    return CompactTokenizer.from_text(_tokenizer(), "Hola, mundo")


def _create_dataloaders(*args):
    from utils.data import create_dataloaders

    return create_dataloaders(*args)


def _compact_model():
    torch.manual_seed(0)
    return GPTModel({**TINY, "vocab_size": _compact().n_vocab}).eval()


def _plot_attention(layer=0, head=0):
    from utils.widgets import plot_attention

    return plot_attention(_compact_model(), _compact(), "Hola", layer=layer, head=head)


def _plot_sampling(prompt):
    from utils.widgets import plot_sampling

    return plot_sampling(_compact_model(), _compact(), prompt)


def _load_damaged_checkpoint():
    """Guarda un punto de control en una carpeta temporal, le corta el JSON y lo carga (con una ruta relativa,
    para que el mensaje de la tabla sea siempre el mismo)."""
    import contextlib
    import tempfile

    from utils.training import load_checkpoint, save_checkpoint

    model = _model()
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        save_checkpoint("gpt", model, torch.optim.AdamW(model.parameters()), 0)
        Path("gpt.json").write_text('{"config": {', encoding="utf-8")
        return load_checkpoint("gpt", model)


def _message(mistake):
    """Ejecuta el caso y devuelve «Tipo: mensaje» de la excepción que lanza (o None si no lanza)."""
    try:
        mistake.run()
    except Exception as error:  # noqa: BLE001 - la prueba comprueba después el tipo
        return f"{type(error).__name__}: {error}"
    return None


def errors_table():
    """Devuelve la tabla en markdown de MANTENIMIENTO.md: qué hace quien aprende, su código y el mensaje que ve."""
    rows = ["| Lo que hace quien aprende | Código | Mensaje que ve |", "| --- | --- | --- |"]
    for mistake in LEARNER_MISTAKES:
        message = (_message(mistake) or "(ningún error)").replace("\n", " ").replace("|", "\\|")
        code = mistake.code.replace("|", "\\|")
        rows.append(f"| {mistake.what} | `{code}` | `{message}` |")
    return "\n".join(rows)


def _readme_table():
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(TABLE_START) + r"\n(.*?)" + re.escape(TABLE_END), text, flags=re.S)
    return text, match


def write_readme_table():
    """Sustituye en MANTENIMIENTO.md la tabla generada por la de errors_table()."""
    text, match = _readme_table()
    if match is None:
        raise SystemExit(f"MANTENIMIENTO.md no tiene las marcas de la tabla:\n{TABLE_START}\n{TABLE_END}")
    README.write_text(text[:match.start(1)] + errors_table() + "\n" + text[match.end(1):], encoding="utf-8")


@pytest.mark.parametrize("mistake", LEARNER_MISTAKES, ids=[m.code for m in LEARNER_MISTAKES])
def test_error_de_quien_aprende(mistake):
    """Cada error del catálogo lanza la excepción esperada, con un mensaje en español que da la solución."""
    with pytest.raises(mistake.error, match=mistake.match):
        mistake.run()


def test_tabla_de_errores_del_readme_al_dia():
    """La tabla «Errores que ven los alumnos» de MANTENIMIENTO.md es la que sale del catálogo LEARNER_MISTAKES."""
    _, match = _readme_table()
    assert match is not None, "Faltan en MANTENIMIENTO.md las marcas de la tabla de errores"
    assert match.group(1) == errors_table() + "\n", (
        "La tabla de errores de MANTENIMIENTO.md no está al día: ejecuta .venv/bin/python -m tests.test_errores"
    )


def test_config_sin_claves(tiny_cfg):
    """Una configuración incompleta nombra las claves que faltan."""
    cfg = dict(tiny_cfg)
    del cfg["n_heads"], cfg["qkv_bias"]
    with pytest.raises(ValueError, match=r"le faltan las claves \['n_heads', 'qkv_bias'\]"):
        GPTModel(cfg)


def test_config_emb_dim_no_divisible(tiny_cfg):
    """emb_dim no divisible entre n_heads da el error con una sugerencia."""
    with pytest.raises(ValueError, match=r"emb_dim \(30\) debe ser divisible entre n_heads \(4\); prueba emb_dim=32"):
        GPTModel({**tiny_cfg, "emb_dim": 30})


@pytest.mark.parametrize("key, value", [("n_layers", 0), ("vocab_size", 10.5), ("drop_rate", 1.5)])
def test_config_valores_imposibles(tiny_cfg, key, value):
    """Valores sin sentido se rechazan nombrando la clave."""
    with pytest.raises(ValueError, match=key):
        check_config({**tiny_cfg, key: value})


def test_config_no_diccionario():
    """Pasar algo que no es un diccionario da un TypeError en español."""
    with pytest.raises(TypeError, match="debe ser un diccionario"):
        GPTModel([768, 12])


def test_ids_no_enteros(tiny_cfg):
    """Un tensor de floats no se acepta como ids de tokens."""
    with pytest.raises(TypeError, match=r"deben ser enteros.*\.long\(\)"):
        GPTModel(tiny_cfg)(torch.rand(1, 4))


def test_ids_fuera_del_vocabulario(tiny_cfg):
    """Un id mayor o igual que vocab_size se rechaza nombrando el id y el rango válido."""
    with pytest.raises(ValueError, match=r"id de token 100 está fuera del vocabulario.*de 0 a 99"):
        GPTModel(tiny_cfg)(torch.tensor([[1, 2, 100]]))


def test_ids_negativos(tiny_cfg):
    """Un id negativo también se rechaza."""
    with pytest.raises(ValueError, match=r"id de token -1 está fuera del vocabulario"):
        GPTModel(tiny_cfg)(torch.tensor([[-1, 2]]))


def test_entrada_mas_larga_que_el_contexto(tiny_cfg):
    """Más tokens que context_length da un error que dice cómo recortar."""
    with pytest.raises(ValueError, match=r"17 tokens.*context_length=16.*in_idx\[:, -16:\]"):
        GPTModel(tiny_cfg)(torch.zeros(1, 17, dtype=torch.long))


def test_entrada_sin_dimension_de_lote(tiny_cfg):
    """Un vector de ids sin lote sugiere unsqueeze(0)."""
    with pytest.raises(ValueError, match=r"unsqueeze\(0\)"):
        GPTModel(tiny_cfg)(torch.tensor([1, 2, 3]))


def test_max_new_tokens_negativo(tiny_cfg):
    """Generar un número negativo de tokens es un error, no una salida vacía silenciosa."""
    with pytest.raises(ValueError, match="max_new_tokens debe ser un entero mayor o igual que 0"):
        generate_text_simple(GPTModel(tiny_cfg), torch.tensor([[1]]), max_new_tokens=-1, context_size=16)


@pytest.mark.parametrize("context_size", [0, 16.0, None])
def test_context_size_no_valido(tiny_cfg, context_size):
    """context_size tiene que ser un entero positivo; el error sugiere cfg['context_length']."""
    with pytest.raises(ValueError, match=r"context_size debe ser un entero positivo.*context_length"):
        generate_text_simple(GPTModel(tiny_cfg), torch.tensor([[1]]), max_new_tokens=1, context_size=context_size)


def test_texto_que_no_es_una_cadena(tokenizer):
    """text_to_token_ids con una lista da un TypeError que dice qué tipo llegó."""
    with pytest.raises(TypeError, match="text debe ser una cadena de texto, no list"):
        text_to_token_ids(["Hola"], tokenizer)


def test_texto_vacio_da_ids_enteros(tokenizer):
    """text_to_token_ids("") da un tensor de enteros vacío (1, 0), no uno de float32."""
    ids = text_to_token_ids("", tokenizer)
    assert ids.shape == (1, 0) and ids.dtype == torch.long
    assert token_ids_to_text(ids, tokenizer) == ""


def test_texto_vacio_llega_al_modelo_con_un_mensaje_claro(tokenizer, tiny_cfg):
    """El modelo dice que la entrada está vacía (no que hay que convertirla con .long())."""
    with pytest.raises(ValueError, match="La entrada está vacía"):
        GPTModel(tiny_cfg)(text_to_token_ids("", tokenizer))


def test_ids_negativos_al_convertir_en_texto(tokenizer):
    """Un id negativo en token_ids_to_text se rechaza nombrando el rango válido."""
    with pytest.raises(ValueError, match=r"id de token -3 no existe.*de 0 a 50256"):
        token_ids_to_text(torch.tensor([[5, -3]]), tokenizer)


def test_idx_en_otro_dispositivo(tiny_cfg):
    """Un idx en otro dispositivo que el modelo se rechaza antes de generar (aquí el modelo está en meta)."""
    model = GPTModel(tiny_cfg).to("meta")
    with pytest.raises(ValueError, match=r"idx está en el dispositivo cpu y el modelo en meta.*idx\.to\('meta'\)"):
        generate_text_simple(model, torch.tensor([[1, 2]]), 3, 16)


def test_ids_con_varias_secuencias(tokenizer):
    """token_ids_to_text con un lote de 2 pide convertir cada secuencia por separado."""
    with pytest.raises(ValueError, match=r"lote de 2 secuencias.*token_ids\[0\]"):
        token_ids_to_text(torch.tensor([[1, 2], [3, 4]]), tokenizer)


@pytest.mark.parametrize("typo, fix", [
    ("n_layer", "n_layers"), ("context_len", "context_length"), ("drop_rat", "drop_rate"),
])
def test_config_con_una_errata_en_una_clave(typo, fix):
    """Una clave mal escrita (que si no se ignoraría en silencio) se rechaza sugiriendo la buena."""
    with pytest.raises(ValueError, match=rf"'{typo}'.*¿querías decir '{fix}'\?"):
        GPTModel({**GPT_CONFIG_124M, typo: 24})


def test_config_admite_tasas_de_dropout_propias():
    """Las claves drop_rate_* del ejercicio de dropout separado se aceptan cuando el ejercicio las declara."""
    extra = ("drop_rate_emb", "drop_rate_attn", "drop_rate_shortcut")
    cfg = {**GPT_CONFIG_124M, "drop_rate_emb": 0.2, "drop_rate_attn": 0.0, "drop_rate_shortcut": 0.1}
    assert check_config(cfg, extra_keys=extra) is cfg
    with pytest.raises(ValueError, match="'drop_rate_emb', que el modelo no usa"):
        GPTModel(cfg)


def test_config_qkv_bias_no_booleano(tiny_cfg):
    """qkv_bias="no" (que Python tomaría por verdadero) se rechaza pidiendo True o False."""
    with pytest.raises(ValueError, match=r"qkv_bias'\] debe ser True o False, y vale 'no'"):
        check_config({**tiny_cfg, "qkv_bias": "no"})


def test_cache_de_tiktoken_inservible(tmp_path):
    """Si TIKTOKEN_CACHE_DIR apunta a un fichero, el error lo nombra y dice cómo arreglarlo."""
    not_a_folder = tmp_path / "fichero"
    not_a_folder.write_text("x")
    with pytest.raises(OSError, match=r"no es una carpeta.*TIKTOKEN_CACHE_DIR"):
        install_gpt2_bpe_files(str(not_a_folder))


# ----------------------------------------------------------------------------- curso.py

def test_curso_python_antiguo(monkeypatch):
    """Con un Python anterior a 3.11, curso.py dice qué versión hace falta y qué hacer, sin instalar nada."""
    monkeypatch.setattr(sys, "version_info", (3, 10, 12))
    with pytest.raises(SystemExit, match=r"necesita Python 3\.11 o posterior.*python3\.11 curso\.py"):
        curso.install()


def _course_copy(tmp_path, fake_python=None):
    """Copia curso.py y requirements.txt a una carpeta; con fake_python, un .venv falso con ese guion."""
    for name in ("curso.py", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    if fake_python is not None:
        python = tmp_path / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text("#!/bin/sh\n" + fake_python)
        python.chmod(0o755)
    return tmp_path


def _run_course(folder, *args):
    return subprocess.run([sys.executable, str(folder / "curso.py"), *args], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def test_curso_orden_desconocida_no_instala_nada(tmp_path):
    """Una orden mal escrita se rechaza al momento, con el uso correcto, antes de crear .venv."""
    folder = _course_copy(tmp_path)
    done = _run_course(folder, "prubeas")
    assert done.returncode != 0
    assert "Orden desconocida 'prubeas'" in done.stderr and "python curso.py pruebas" in done.stderr
    assert not (folder / ".venv").exists()


def test_curso_ayuda(tmp_path):
    """python curso.py --help muestra el uso y no instala nada."""
    folder = _course_copy(tmp_path)
    done = _run_course(folder, "--help")
    assert done.returncode == 0 and "python curso.py pruebas" in done.stdout
    assert not (folder / ".venv").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="el .venv falso es un guion de sh")
def test_curso_pip_falla_con_un_mensaje_claro(tmp_path):
    """Si pip no puede instalar requirements.txt, curso.py termina con un mensaje en español, sin traza."""
    fake = 'case "$*" in *"pip --version"*) exit 0;; *) echo "ERROR: sin red" >&2; exit 1;; esac\n'
    done = _run_course(_course_copy(tmp_path, fake), "pruebas")
    assert done.returncode == 1
    assert "pip no pudo instalar los paquetes de requirements.txt" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="el .venv falso es un guion de sh")
def test_curso_venv_sin_pip(tmp_path):
    """Un .venv a medias (sin pip, p. ej. creado sin python3-venv) se explica con la solución."""
    done = _run_course(_course_copy(tmp_path, "exit 1\n"), "pruebas")
    assert done.returncode == 1
    assert "no tiene pip" in done.stderr and "python3-venv" in done.stderr
    assert "Traceback" not in done.stderr


def test_lote_vacio(tiny_cfg):
    """Un lote sin textos da un error en español, no un fallo de torch.min."""
    with pytest.raises(ValueError, match="La entrada está vacía"):
        GPTModel(tiny_cfg)(torch.zeros(0, 3, dtype=torch.long))


def test_generacion_con_lista_de_ids(tiny_cfg):
    """generate_text_simple con una lista en vez de un tensor dice cómo crear el tensor."""
    with pytest.raises(ValueError, match=r"idx debe ser un tensor de ids de forma \(batch, num_tokens\)"):
        generate_text_simple(GPTModel(tiny_cfg), [1, 2, 3], max_new_tokens=1, context_size=16)


def test_texto_desde_una_lista(tokenizer):
    """token_ids_to_text con una lista da un error que dice qué tensor espera."""
    with pytest.raises(TypeError, match="token_ids debe ser un tensor"):
        token_ids_to_text([1, 2], tokenizer)


def test_bloque_con_config_incompleta(tiny_cfg):
    """TransformerBlock usado suelto nombra la clave que le falta a la configuración."""
    from utils.gpt import TransformerBlock

    cfg = {k: v for k, v in tiny_cfg.items() if k != "context_length"}
    with pytest.raises(ValueError, match="context_length"):
        TransformerBlock(cfg)


if __name__ == "__main__":
    write_readme_table()
