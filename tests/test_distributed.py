"""Pruebas de utils/train.py con torch.distributed: dos procesos de torchrun en esta CPU (gloo)."""

import json
import os
import subprocess
import sys
import time

import torch
from conftest import ROOT
from safetensors.torch import load_file

# Un modelo y un corpus diminutos: la prueba mide la equivalencia, no la calidad.
TINY = ["--steps", "4", "--eval-freq", "4", "--eval-iters", "2", "--emb-dim", "32", "--n-layers", "1",
        "--n-heads", "2", "--context-length", "16", "--batch-size", "8", "--drop-rate", "0", "--seed", "3"]


# Límites generosos: con otras pruebas o entrenamientos al lado, arrancar dos procesos con torch puede tardar
# minutos en 2 núcleos. Un límite corto haría fallar la prueba por la compañía, no por el código.
TIMEOUT_S = 600


def _run(args, cwd, nproc=None, timeout=TIMEOUT_S):
    """Ejecuta la orden en cwd, una carpeta de la prueba: nada se escribe en el repositorio."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    if nproc is None:
        cmd = [sys.executable, "-m", "utils.train", *args]
    else:  # --standalone: un puerto libre, así dos ejecuciones a la vez no chocan
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "utils.train", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_dos_procesos_igual_que_uno(tmp_path):
    """Dos procesos con DistributedDataParallel y el mismo lote global llegan a los mismos parámetros que uno."""
    single = _run([*TINY, "--out", str(tmp_path / "uno")], tmp_path)
    assert single.returncode == 0, single.stderr[-3000:]
    double = _run([*TINY, "--out", str(tmp_path / "dos")], tmp_path, nproc=2)
    assert double.returncode == 0, double.stderr[-3000:]
    assert "2 proceso(s)" in double.stdout and double.stdout.count("punto de control guardado") == 1  # solo rango 0
    a, b = load_file(tmp_path / "uno.safetensors"), load_file(tmp_path / "dos.safetensors")
    weights = [k for k in a if k.startswith("model.")]
    diff = max((a[k] - b[k]).abs().max().item() for k in weights)
    assert diff < 1e-5, f"diferencia máxima {diff:.2e}"
    for ck in (a, b):  # los dos dieron de verdad 4 pasos con gradientes no nulos
        assert ck["optimizer.0.step"].item() == 4 and ck["optimizer.0.exp_avg"].abs().sum() > 0
    assert (tmp_path / "uno.png").is_file() and (tmp_path / "dos.png").is_file()


def test_proceso_colgado_falla_con_mensaje_claro(tmp_path):
    """Si un proceso se cuelga, el otro no espera para siempre: falla tras --timeout con un mensaje en español.

    El proceso colgado duerme al menos 600 s; la orden entera acaba mucho antes (--timeout 20 más lo que
    tarden en arrancar), aunque la máquina esté ocupada."""
    start = time.monotonic()
    result = _run([*TINY, "--out", str(tmp_path / "x"), "--timeout", "20", "--simulate-failure", "hang"], nproc=2,
                  cwd=tmp_path)
    assert result.returncode != 0
    assert "otro proceso no respondió en 20 s" in result.stderr
    assert time.monotonic() - start < 400
    assert not (tmp_path / "x.safetensors").exists()


def test_continuar_tras_un_fallo_con_resume(tmp_path):
    """Un proceso que muere tras el punto de control del paso 2 y se relanza con --resume acaba con los mismos
    pesos que uno que no se interrumpió (con dropout: también se restaura el generador aleatorio)."""
    args = [*TINY, "--eval-freq", "2", "--drop-rate", "0.1"]
    whole = _run([*args, "--out", str(tmp_path / "entero")], tmp_path)
    assert whole.returncode == 0, whole.stderr[-3000:]
    crashed = _run([*args, "--out", str(tmp_path / "cortado"), "--simulate-failure", "crash"], tmp_path)
    assert crashed.returncode != 0 and "el proceso muere" in crashed.stderr
    assert json.loads((tmp_path / "cortado.json").read_text(encoding="utf-8"))["step"] == 2
    resumed = _run([*args, "--out", str(tmp_path / "cortado"), "--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "paso inicial 2" in resumed.stdout
    a, b = load_file(tmp_path / "entero.safetensors"), load_file(tmp_path / "cortado.safetensors")
    for key in a:
        if key.startswith("model."):
            assert torch.equal(a[key], b[key]), key
