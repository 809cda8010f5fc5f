"""Las órdenes del curso responden en una línea: python -m utils.train, python -m utils.data, el benchmark de
entrenamiento y la elección de dispositivo (utils/device.py).

Un error sale como «error: <mensaje en español>» en stderr, sin traza, con código 2 si la orden está mal
escrita y 1 si algo falló al ejecutarla; --debug muestra la traza. Lo que se puede comprobar antes de
entrenar se comprueba antes.
"""

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT

import utils.device as device_module
from utils.cli import run_command
from utils.device import ddp_backend, pick_device

# Un entrenamiento diminuto: segundos en una CPU, también con otros procesos al lado.
TINY = ["--emb-dim", "32", "--n-layers", "1", "--n-heads", "2", "--context-length", "16", "--batch-size", "8",
        "--eval-iters", "1", "--drop-rate", "0"]


def _train(argv, capsys):
    """Ejecuta python -m utils.train en este proceso; devuelve (código de salida, stderr)."""
    from utils.train import main

    code = run_command(main, argv)
    return code, capsys.readouterr().err


@pytest.fixture
def ficheros(tmp_path):
    """Corpus que no sirven y una ruta --out en la que no se puede escribir."""
    (tmp_path / "latin1.txt").write_bytes("canción".encode("latin-1"))
    (tmp_path / "vacio.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "corto.txt").write_text("hola mundo", encoding="utf-8")
    (tmp_path / "un_fichero").write_text("x", encoding="utf-8")
    return tmp_path


# (opciones, código de salida, lo que dice la línea de error)
BAD_ARGUMENTS = [
    (["--steps", "0"], 2, r"--steps debe ser un entero positivo, y vale 0; p\. ej\. --steps 300"),
    (["--steps", "diez"], 2, r"--steps espera un número entero, y recibió 'diez'"),
    (["--batch-size", "0"], 2, r"--batch-size debe ser un entero positivo, y vale 0"),
    (["--n-heads", "3"], 2, r"--emb-dim \(128\) debe ser divisible entre --n-heads \(3\).*prueba --emb-dim 129"),
    (["--drop-rate", "1.5"], 2, r"--drop-rate debe ser una probabilidad en \[0, 1\), y vale 1\.5"),
    (["--lr", "-1"], 2, r"--lr debe ser un número positivo, y vale -1"),
    (["--lr", "nan"], 2, r"--lr debe ser un número finito"),
    (["--min-lr", "0.1"], 2, r"--min-lr \(0\.1\) no puede ser mayor que --lr \(0\.001\)"),
    (["--device", "gpu"], 2, r"--device no admite 'gpu'; elige uno de: auto, cpu, cuda, mps"),
    (["--step", "3"], 2, r"la opción --step no existe; ¿querías decir --steps\?"),
    (["--steps"], 2, r"a --steps le falta su valor, p\. ej\. --steps 300"),
    (["--resume=si"], 2, r"--resume no lleva valor"),
    (["corpus.txt"], 2, r"sobra 'corpus\.txt': esta orden no recibe argumentos sueltos"),
    (["--corpus", "{tmp}/no_esta.txt"], 1, r"--corpus: No existe el fichero de corpus"),
    (["--corpus", "{tmp}/latin1.txt"], 1, r"--corpus: El corpus .* no está en UTF-8 \(byte 0xf3"),
    (["--corpus", "{tmp}/vacio.txt"], 1, r"--corpus: El corpus .* está vacío"),
    (["--corpus", "{tmp}/corto.txt"], 1, r"tiene \d+ tokens.*--context-length \+ 1 = 65; usa un corpus más largo"),
    (["--context-length", "100000"], 1, r"--context-length \+ 1 = 100001.*un --context-length de \d+ o menos"),
    (["--batch-size", "100000"], 1, r"no sale ni un lote; usa --batch-size \d+ o menos"),
    (["--out", "{tmp}/un_fichero/gpt"], 1, r"--out: no se puede escribir en la carpeta .*un_fichero"),
    (["--out", "{tmp}"], 1, r"--out '.*' es una carpeta; añade el nombre del fichero"),
]


@pytest.mark.parametrize("argv, code, message", BAD_ARGUMENTS, ids=[" ".join(a) for a, _, _ in BAD_ARGUMENTS])
def test_train_opcion_mala_en_una_linea(argv, code, message, ficheros, capsys):
    """Cada opción o fichero que no sirve da una línea «error: ...» que nombra la opción, con su código de
    salida, antes de entrenar (y sin escribir nada en --out)."""
    argv = [a.replace("{tmp}", str(ficheros)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(ficheros / "salida" / "gpt")]
    got, err = _train(argv, capsys)
    assert got == code, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err
    assert not list((ficheros / "salida").glob("gpt.*"))


def test_train_lote_que_no_se_reparte_entre_procesos(tmp_path, capsys, monkeypatch):
    """Con dos procesos, un --batch-size impar se rechaza antes de esperar al otro proceso."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    code, err = _train(["--batch-size", "7", "--out", str(tmp_path / "gpt")], capsys)
    assert code == 2 and "--batch-size (7) es el lote global" in err and "prueba --batch-size 8" in err


def test_train_debug_muestra_la_traza(tmp_path):
    """Con --debug, el error sale con su traza de Python (la excepción no se convierte en una línea)."""
    from utils.train import main

    with pytest.raises(FileNotFoundError, match="--corpus: No existe"):
        run_command(main, ["--corpus", str(tmp_path / "no.txt"), "--out", str(tmp_path / "gpt"), "--debug"])


def test_train_ayuda_en_español(capsys):
    """--help sale con código 0 y empieza por «uso:», nombra --device y --debug y da los valores por defecto."""
    from utils.train import main

    code = run_command(main, ["--help"])
    text = capsys.readouterr().out
    assert code == 0
    assert text.startswith("uso: python -m utils.train") and "--device" in text and "--debug" in text
    assert "(por defecto: 300)" in text and "opciones:" in text


def test_train_con_out_ocupado_por_otro_entrenamiento(tmp_path, capsys):
    """Si otro entrenamiento escribe en el mismo --out, este falla al empezar en vez de pisarle los ficheros."""
    fcntl = pytest.importorskip("fcntl")
    with open(tmp_path / "gpt.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, err = _train([*TINY, "--steps", "1", "--out", str(tmp_path / "gpt")], capsys)
    assert code == 1 and "Otro entrenamiento está escribiendo ahora en --out" in err
    assert not (tmp_path / "gpt.json").exists()


def test_train_continuar_con_otras_opciones(tmp_path, capsys):
    """--resume con un tamaño de modelo distinto del guardado dice qué opciones usó el punto de control."""
    out = str(tmp_path / "gpt")
    code, err = _train([*TINY, "--steps", "2", "--eval-freq", "2", "--out", out], capsys)
    assert code == 0, err
    code, err = _train([*TINY, "--steps", "4", "--emb-dim", "64", "--resume", "--out", out], capsys)
    assert code == 2 and "se entrenó con --emb-dim 32" in err
    code, err = _train([*TINY, "--steps", "2", "--resume", "--out", out], capsys)
    assert code == 2 and "ya tiene 2 pasos" in err


def test_train_continuar_con_el_json_dañado(tmp_path, capsys):
    """Un punto de control con el JSON dañado se dice en una línea al empezar, no con un JSONDecodeError."""
    (tmp_path / "gpt.safetensors").write_bytes(b"x")
    (tmp_path / "gpt.json").write_text('{"config": ', encoding="utf-8")
    code, err = _train([*TINY, "--resume", "--out", str(tmp_path / "gpt")], capsys)
    assert code == 1 and "está dañado: no es un JSON válido" in err


def _popen_train(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "utils.train", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_orden_real_sin_traza(tmp_path):
    """La orden de verdad, en otro proceso: código 2 y una sola línea en stderr."""
    done = subprocess.run([sys.executable, "-m", "utils.train", "--steps", "0"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert done.returncode == 2
    assert done.stderr == "error: --steps debe ser un entero positivo, y vale 0; p. ej. --steps 300\n"


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl+C se simula con SIGINT")
def test_ctrl_c_guarda_un_punto_de_control_completo_y_dice_como_seguir(tmp_path):
    """Ctrl+C para al acabar el paso en curso, guarda un punto de control completo (sin ficheros a medias) y
    dice cómo continuar; la misma orden con --resume sigue desde ese paso."""
    out = tmp_path / "gpt"
    args = [*TINY, "--steps", "100000", "--eval-freq", "2", "--out", str(out)]
    proc = _popen_train(args, tmp_path)
    try:
        limit = time.monotonic() + 600
        while "paso 2:" not in (line := proc.stdout.readline()):
            assert line or proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < limit
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=600)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "continúa con la misma orden y --resume" in err and "Traceback" not in err
    step = json.loads((out.with_suffix(".json")).read_text(encoding="utf-8"))["step"]
    assert step >= 2 and f"paso {step} está completo" in err
    assert not list(tmp_path.glob("*.tmp"))
    from utils.gpt import GPTModel
    from utils.training import load_checkpoint, read_checkpoint_info

    load_checkpoint(out, GPTModel(read_checkpoint_info(out)["config"]))  # la pareja de ficheros casa
    resumed = subprocess.run([sys.executable, "-m", "utils.train", *TINY, "--steps", str(step + 1), "--eval-freq",
                              "2", "--out", str(out), "--resume"], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"paso inicial {step}" in resumed.stdout


def test_train_dice_el_dispositivo(tmp_path, capsys):
    """La primera línea del entrenamiento dice dónde se entrena."""
    from utils.train import main

    main([*TINY, "--steps", "1", "--device", "cpu", "--out", str(tmp_path / "gpt")])
    assert "1 proceso(s) en cpu" in capsys.readouterr().out


# ----------------------------------------------------------------------------- python -m utils.data

def test_data_sin_poder_escribir(tmp_path, capsys):
    """python -m utils.data con un --out imposible responde en una línea, con código 1, sin tocar nada."""
    from utils.data import main

    (tmp_path / "un_fichero").write_text("x", encoding="utf-8")
    code = run_command(main, ["--out", str(tmp_path / "un_fichero" / "corpus.txt")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: --out: no se puede escribir") and err.count("\n") == 1
    code = run_command(main, ["--out", str(tmp_path)])
    assert code == 1 and "es una carpeta" in capsys.readouterr().err
    code = run_command(main, ["--salida", "x"])
    assert code == 2 and "la opción --salida no existe" in capsys.readouterr().err


def test_data_escribe_el_corpus(tmp_path, capsys):
    """python -m utils.data --out otro.txt extrae allí la prosa del curso, de una vez (sin temporales)."""
    from utils.data import main, read_corpus

    assert run_command(main, ["--out", str(tmp_path / "c.txt")]) == 0
    assert read_corpus(tmp_path / "c.txt").count("<|endoftext|>") >= 8
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]


# ----------------------------------------------------------------------------- benchmark

def test_benchmark_de_entrenamiento_opciones_malas(capsys):
    """El benchmark de entrenamiento rechaza --steps 0 y --threads 0 en una línea con código 2."""
    from benchmarks.entrenamiento import main

    assert run_command(main, ["--steps", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --steps debe ser un entero positivo")
    assert run_command(main, ["--threads", "0"]) == 2
    assert run_command(main, ["--batch-size", "100000"]) == 1
    assert "no sale ni un lote" in capsys.readouterr().err


@pytest.mark.parametrize("module, argv, message", [
    ("benchmarks.rendimiento", ["--threads", "0"], "error: --threads debe ser un entero positivo, y vale 0"),
    ("benchmarks.rendimiento", ["--quik"], "error: la opción --quik no existe; ¿querías decir --quick?"),
    ("benchmarks.tokenizador", ["--reps", "0"], "error: --reps debe ser un entero positivo, y vale 0"),
    ("benchmarks.tokenizador", ["--reps"], "error: a --reps le falta su valor"),
])
def test_los_otros_benchmarks_responden_en_una_linea(module, argv, message, capsys):
    """python -m benchmarks.rendimiento y benchmarks.tokenizador: una opción mala, una línea y código 2."""
    main = importlib.import_module(module).main
    assert run_command(main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_una_sola_configuracion_de_la_leccion():
    """El benchmark y la orden usan la configuración del notebook 10 de lesson_config."""
    from utils.train import lesson_config, parse_args

    cfg = lesson_config(2278)
    args = parse_args([])
    assert (args.context_length, args.emb_dim, args.n_layers, args.n_heads, args.drop_rate) == (
        cfg["context_length"], cfg["emb_dim"], cfg["n_layers"], cfg["n_heads"], cfg["drop_rate"])
    assert lesson_config(10, emb_dim=64)["emb_dim"] == 64


# ----------------------------------------------------------------------------- utils/device.py

@pytest.fixture
def machine(monkeypatch):
    """Devuelve una función que simula una máquina con GPU de NVIDIA, de Apple o ninguna."""

    def set_machine(cuda=0, mps=False):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr(device_module, "mps_available", lambda: mps)

    monkeypatch.delenv("LOCAL_RANK", raising=False)
    return set_machine


def test_auto_elige_cuda_luego_mps_luego_cpu(machine):
    """auto: la GPU de NVIDIA si hay; si no, la de Apple; si no, la CPU."""
    machine(cuda=2, mps=True)
    assert pick_device() == torch.device("cuda", 0)
    machine(cuda=0, mps=True)
    assert pick_device("auto") == torch.device("mps")
    machine(cuda=0, mps=False)
    assert pick_device("auto") == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")


def test_cada_proceso_de_torchrun_usa_su_gpu(machine, monkeypatch):
    """Con torchrun, cuda es la GPU número LOCAL_RANK; si no hay tantas, se dice cuántos procesos lanzar."""
    machine(cuda=2)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert pick_device("cuda") == torch.device("cuda", 1)
    monkeypatch.setenv("LOCAL_RANK", "2")
    with pytest.raises(RuntimeError, match="--nproc_per_node=2"):
        pick_device("cuda")


def test_dispositivo_que_no_hay(machine):
    """Pedir cuda o mps donde no están, o un nombre que no existe, da un error en español con la salida."""
    machine(cuda=0, mps=False)
    with pytest.raises(RuntimeError, match="Pediste cuda, pero PyTorch no ve ninguna GPU de NVIDIA.*--device cpu"):
        pick_device("cuda")
    with pytest.raises(RuntimeError, match="Pediste mps.*--device cpu"):
        pick_device("mps")
    with pytest.raises(ValueError, match="'gpu' no existe; elige uno de auto, cpu, cuda, mps"):
        pick_device("gpu")


def test_backend_de_los_procesos():
    """nccl entre GPU de NVIDIA, gloo entre CPU; mps no puede repartir el entrenamiento."""
    assert ddp_backend(torch.device("cuda", 0)) == "nccl"
    assert ddp_backend("cpu") == "gloo"
    with pytest.raises(RuntimeError, match="con varios procesos usa --device cpu"):
        ddp_backend("mps")


def test_orden_con_cuda_que_no_hay(machine, tmp_path, capsys):
    """--device cuda sin GPU es un error de uso (código 2) que propone --device cpu."""
    machine(cuda=0)
    code, err = _train(["--device", "cuda", "--out", str(tmp_path / "gpt")], capsys)
    assert code == 2 and err.startswith("error: --device cuda: Pediste cuda") and "--device cpu" in err


def test_orden_con_mps_y_varios_procesos(machine, tmp_path, capsys, monkeypatch):
    """Con varios procesos, mps no sirve (no hay backend distribuido): se dice antes de empezar."""
    machine(mps=True)
    monkeypatch.setenv("WORLD_SIZE", "2")
    code, err = _train(["--device", "auto", "--out", str(tmp_path / "gpt")], capsys)
    assert code == 2 and "--device auto" in err and "usa --device cpu" in err
