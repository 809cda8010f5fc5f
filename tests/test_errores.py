"""Cada entrada incorrecta produce un error claro en español, en el borde de nuestra API."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import curso
from utils.config import GPT_CONFIG_124M, check_config
from utils.generation import generate_text_simple, text_to_token_ids, token_ids_to_text
from utils.gpt import GPTModel
from utils.tokenizer import install_gpt2_bpe_files

ROOT = Path(__file__).resolve().parent.parent


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
    """Las claves drop_rate_* del ejercicio de dropout separado no se toman por erratas."""
    cfg = {**GPT_CONFIG_124M, "drop_rate_emb": 0.2, "drop_rate_attn": 0.0, "drop_rate_shortcut": 0.1}
    assert check_config(cfg) is cfg


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


def test_texto_desde_una_lista():
    """token_ids_to_text con una lista da un error que dice qué tensor espera."""
    from utils.generation import token_ids_to_text

    with pytest.raises(TypeError, match="token_ids debe ser un tensor"):
        token_ids_to_text([1, 2], tokenizer=None)


def test_bloque_con_config_incompleta(tiny_cfg):
    """TransformerBlock también valida la configuración."""
    from utils.gpt import TransformerBlock

    cfg = {k: v for k, v in tiny_cfg.items() if k != "context_length"}
    with pytest.raises(ValueError, match="context_length"):
        TransformerBlock(cfg)
