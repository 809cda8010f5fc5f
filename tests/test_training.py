"""Pruebas de utils/training.py: pérdida, tasa de aprendizaje, entrenamiento, puntos de control y errores."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

import utils.training as training
from utils.checks import check_training_args
from utils.data import create_dataloaders
from utils.gpt import GPTModel
from utils.training import (
    calc_loss_batch,
    calc_loss_loader,
    learning_rate,
    load_checkpoint,
    save_checkpoint,
    train_model,
    train_model_simple,
    training_batches,
)


def _setup(cfg, seed=123):
    torch.manual_seed(seed)
    model = GPTModel(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    return model, optimizer


def _loaders(cfg, n=2000):
    ids = torch.randint(0, cfg["vocab_size"], (n,), generator=torch.Generator().manual_seed(0))
    return create_dataloaders(ids, cfg["context_length"], batch_size=4, seed=7)


def test_perdida_es_la_media_de_cada_posicion(tiny_cfg):
    """La pérdida aplanada es la media de -log p(token correcto) en cada posición de cada ventana."""
    model, _ = _setup(tiny_cfg)
    x = torch.randint(0, 100, (3, 16))
    y = torch.randint(0, 100, (3, 16))
    logp = F.log_softmax(model(x), dim=-1)
    manual = -logp.gather(-1, y.unsqueeze(-1)).mean()
    torch.testing.assert_close(calc_loss_batch(x, y, model), manual)


def test_perdida_inicial_cerca_de_ln_vocab(tiny_cfg):
    """Sin entrenar, el modelo reparte la probabilidad casi por igual: pérdida ≈ ln(vocab_size)."""
    model, _ = _setup(tiny_cfg)
    _, val_loader = _loaders(tiny_cfg)
    assert abs(calc_loss_loader(val_loader, model) - math.log(100)) < 0.3


def test_calentamiento_y_decaimiento_coseno():
    """La tasa sube en línea recta hasta max_lr y baja como un coseno hasta min_lr."""
    lrs = [learning_rate(s, 1e-3, total_steps=110, warmup_steps=10, min_lr=1e-4) for s in range(110)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:10], strict=False))
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:], strict=False))
    assert lrs[60] == pytest.approx((1e-3 + 1e-4) / 2)  # mitad del coseno: la media de max y min
    assert learning_rate(110, 1e-3, 110, 10, 1e-4) == pytest.approx(1e-4)


def test_entrenar_baja_la_perdida(tiny_cfg):
    """Unos pasos sobre un texto repetitivo bajan mucho la pérdida de validación."""
    ids = torch.arange(50).repeat(40) % tiny_cfg["vocab_size"]  # secuencia periódica: fácil de aprender
    train_loader, val_loader = create_dataloaders(ids, 16, batch_size=8, seed=1)
    model, optimizer = _setup(tiny_cfg)
    before = calc_loss_loader(val_loader, model)
    history = train_model(model, train_loader, val_loader, optimizer, total_steps=60, max_lr=3e-3, warmup_steps=5,
                          eval_freq=30, progress=False)
    assert history["steps"] == [30, 60]
    assert history["val_losses"][-1] < before - 2.0


def test_continuar_desde_punto_de_control_es_exacto(tiny_cfg, tmp_path):
    """k + m pasos seguidos dan los mismos parámetros que k pasos, guardar, cargar en un modelo nuevo y m más
    (con dropout, así que también se restaura el generador aleatorio)."""
    cfg = {**tiny_cfg, "drop_rate": 0.1}
    total, k = 25, 7  # k no es múltiplo de los lotes por época: se continúa a mitad de época
    kwargs = dict(total_steps=total, max_lr=2e-3, warmup_steps=4, min_lr=1e-4, eval_freq=100, progress=False)

    model, optimizer = _setup(cfg)
    train_loader, val_loader = _loaders(cfg, n=800)
    assert len(train_loader) not in (k, total)
    train_model(model, train_loader, val_loader, optimizer, **kwargs)

    first, opt_first = _setup(cfg)
    train_model(first, train_loader, val_loader, opt_first, stop_step=k, **kwargs)
    save_checkpoint(tmp_path / "ck", first, opt_first, k)
    torch.manual_seed(999)  # lo que pase entre medias no debe importar
    resumed, opt_resumed = _setup(cfg, seed=42)
    step = load_checkpoint(tmp_path / "ck", resumed, opt_resumed)["step"]
    assert step == k
    train_loader2, val_loader2 = _loaders(cfg, n=800)
    train_model(resumed, train_loader2, val_loader2, opt_resumed, start_step=step, **kwargs)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_punto_de_control_sin_pickle_y_atomico(tiny_cfg, tmp_path, monkeypatch):
    """El punto de control es safetensors + JSON; un guardado que falla a medias deja intacto el anterior."""
    model, optimizer = _setup(tiny_cfg)
    train_loader, val_loader = _loaders(tiny_cfg)
    train_model(model, train_loader, val_loader, optimizer, total_steps=2, max_lr=1e-3, eval_freq=100, progress=False)
    save_checkpoint(tmp_path / "ck", model, optimizer, 2, extra={"nota": "ñ"})
    info = json.loads((tmp_path / "ck.json").read_text(encoding="utf-8"))
    assert info["step"] == 2 and info["config"] == tiny_cfg and info["extra"] == {"nota": "ñ"}
    header_len = int.from_bytes((tmp_path / "ck.safetensors").read_bytes()[:8], "little")
    header = json.loads((tmp_path / "ck.safetensors").read_bytes()[8:8 + header_len])  # formato safetensors
    assert "model.tok_emb.weight" in header and "optimizer.0.exp_avg" in header and "rng" in header
    good = (tmp_path / "ck.safetensors").read_bytes()

    def falla(tensors, filename, **kwargs):
        with open(filename, "wb") as f:
            f.write(b"a medias")
        raise OSError("disco lleno")

    monkeypatch.setattr(training, "save_file", falla)
    with pytest.raises(OSError, match="disco lleno"):
        save_checkpoint(tmp_path / "ck", model, optimizer, 3)
    assert (tmp_path / "ck.safetensors").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.json", "ck.safetensors"]  # sin restos
    assert json.loads((tmp_path / "ck.json").read_text(encoding="utf-8"))["step"] == 2
    fresh, _ = _setup(tiny_cfg, seed=1)
    load_checkpoint(tmp_path / "ck", fresh)
    torch.testing.assert_close(fresh.state_dict(), model.state_dict())


def test_punto_de_control_con_otra_configuracion(tiny_cfg, tmp_path):
    """Cargar en un modelo con otra configuración dice qué clave difiere."""
    model, optimizer = _setup(tiny_cfg)
    save_checkpoint(tmp_path / "ck", model, optimizer, 0)
    other, _ = _setup({**tiny_cfg, "emb_dim": 64})
    with pytest.raises(ValueError, match="emb_dim: punto de control 32, modelo 64"):
        load_checkpoint(tmp_path / "ck", other)
    with pytest.raises(FileNotFoundError, match="Falta"):
        load_checkpoint(tmp_path / "otro", model)


def test_pareja_de_ficheros_que_no_casa(tiny_cfg, tmp_path):
    """Si el safetensors no es el que describe el JSON (guardado cortado entre los dos), se dice claro."""
    model, optimizer = _setup(tiny_cfg)
    save_checkpoint(tmp_path / "a", model, optimizer, 0)
    save_checkpoint(tmp_path / "b", *_setup(tiny_cfg, seed=5), 0)
    (tmp_path / "b.safetensors").replace(tmp_path / "a.safetensors")
    with pytest.raises(ValueError, match="huella SHA-256 no coincide"):
        load_checkpoint(tmp_path / "a", model)


def test_punto_de_control_con_el_json_dañado(tiny_cfg, tmp_path):
    """Un JSON cortado o ajeno se explica en español (no un JSONDecodeError ni un KeyError)."""
    model, optimizer = _setup(tiny_cfg)
    save_checkpoint(tmp_path / "ck", model, optimizer, 0)
    meta = tmp_path / "ck.json"
    good = meta.read_text(encoding="utf-8")
    meta.write_text(good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(ValueError, match=r"ck.json' está dañado: no es un JSON válido \(línea"):
        load_checkpoint(tmp_path / "ck", model)
    meta.write_text('{"step": 3}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"no es el JSON de un punto de control.*'config'"):
        load_checkpoint(tmp_path / "ck", model)


def test_punto_de_control_guarda_tensores_de_cpu(tiny_cfg, tmp_path):
    """Los tensores se guardan en la CPU y se cargan allí: el fichero sirve en cualquier dispositivo."""
    from safetensors.torch import load_file

    model, optimizer = _setup(tiny_cfg)
    save_checkpoint(tmp_path / "ck", model, optimizer, 0)
    assert {t.device.type for t in load_file(tmp_path / "ck.safetensors").values()} == {"cpu"}
    assert "cuda_rng" not in load_file(tmp_path / "ck.safetensors")  # solo si el modelo está en una GPU


def test_errores_de_argumentos(tiny_cfg):
    """Pasos, lotes de evaluación o tasa no válidos y ventanas más largas que el contexto fallan en español."""
    model, optimizer = _setup(tiny_cfg)
    train_loader, _ = _loaders(tiny_cfg)
    with pytest.raises(ValueError, match="total_steps debe ser un entero positivo, y vale 0"):
        check_training_args(model, train_loader, 0, 10, None, 1e-3)
    with pytest.raises(ValueError, match="eval_freq debe ser un entero positivo, y vale 2.5"):
        check_training_args(model, train_loader, 10, 2.5, None, 1e-3)
    with pytest.raises(ValueError, match="eval_iters debe ser un entero positivo, y vale 0"):
        check_training_args(model, train_loader, 10, 10, 0, 1e-3)
    for lr in (0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="tasa de aprendizaje max_lr debe ser un número positivo"):
            check_training_args(model, train_loader, 10, 10, None, lr)
    ids = torch.arange(2000) % 100
    train_loader, val_loader = create_dataloaders(ids, context_length=32, batch_size=4)
    with pytest.raises(ValueError, match="context_length=32 tokens y el modelo admite como máximo 16"):
        train_model(model, train_loader, val_loader, optimizer, total_steps=1, max_lr=1e-3, progress=False)


def test_bucle_de_la_leccion_igual_que_train_model(tiny_cfg, capsys):
    """train_model_simple, el bucle que escribe la lección, y train_model dan los mismos pesos y pérdidas."""
    cfg = {**tiny_cfg, "drop_rate": 0.1}
    kwargs = dict(total_steps=23, eval_freq=10, eval_iters=3, max_lr=2e-3, warmup_steps=4, min_lr=1e-4)
    simple, opt_simple = _setup(cfg)
    train_loader, val_loader = _loaders(cfg, n=800)
    assert 23 % len(train_loader)  # el último paso cae a mitad de época
    history_simple = train_model_simple(simple, train_loader, val_loader, opt_simple, torch.device("cpu"), **kwargs)
    assert "paso  10: pérdida de entrenamiento" in capsys.readouterr().out
    full, opt_full = _setup(cfg)
    history_full = train_model(full, *_loaders(cfg, n=800), opt_full, progress=False, **kwargs)
    assert history_simple == history_full
    assert history_full["steps"] == [10, 20, 23]
    for (name, a), b in zip(simple.state_dict().items(), full.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_cada_paso_recibe_siempre_el_mismo_lote(tiny_cfg):
    """Empezar en el paso s da el mismo lote que llegar a s desde 0, y cada época baraja de otra forma."""
    train_loader, _ = _loaders(tiny_cfg, n=800)
    n = len(train_loader)
    from_zero = {step: x for step, (x, _) in training_batches(train_loader, 0, 2 * n + 3)}
    assert sorted(from_zero) == list(range(2 * n + 3))
    resumed = {step: x for step, (x, _) in training_batches(train_loader, n + 2, 2 * n + 3)}
    assert sorted(resumed) == list(range(n + 2, 2 * n + 3))
    for step, x in resumed.items():
        assert torch.equal(x, from_zero[step])
    assert not torch.equal(from_zero[0], from_zero[n])  # la época 1 empieza con otro lote


def test_pesos_de_atencion_reproducen_la_capa(tiny_cfg):
    """Los pesos que recalcula el hook de utils/widgets, por los valores y out_proj, dan la salida de la atención."""
    from utils.widgets import attention_weights

    model, _ = _setup(tiny_cfg)
    model.eval()
    idx = torch.randint(0, 100, (1, 9))
    captured = {}
    handle = model.trf_blocks[1].att.register_forward_hook(lambda m, i, o: captured.update(x=i[0], out=o))
    weights = attention_weights(model, idx)
    model(idx)
    handle.remove()
    assert len(weights) == 2 and weights[1].shape == (4, 9, 9)
    torch.testing.assert_close(weights[1].sum(-1), torch.ones(4, 9))
    assert torch.all(weights[1].triu(1) == 0)  # causal: nadie mira al futuro
    att, x = model.trf_blocks[1].att, captured["x"]
    values = att.W_value(x).view(1, 9, 4, 8).transpose(1, 2)
    out = att.out_proj((weights[1].unsqueeze(0) @ values).transpose(1, 2).reshape(1, 9, 32))
    torch.testing.assert_close(out, captured["out"])
    assert not model.trf_blocks[1].att._forward_pre_hooks  # el hook se quita al terminar


def test_exploradores_redibujan_al_mover_un_control(tiny_cfg, tokenizer):
    """Cada explorador lleva su clase CSS y su área de salida cambia al mover un deslizador."""
    import matplotlib

    matplotlib.use("Agg")
    from utils.data import CompactTokenizer
    from utils.widgets import attention_explorer, sampling_explorer

    tok = CompactTokenizer.from_text(tokenizer, "el gato come pescado y el perro come carne. " * 3)
    model, _ = _setup({**tiny_cfg, "vocab_size": tok.n_vocab})
    for explorer, css, slider in ((sampling_explorer, "explorador-muestreo", 1),
                                  (attention_explorer, "explorador-atencion", 2)):
        box = explorer(model, tok, "el gato come")
        assert css in box._dom_classes
        out = box.children[-1]
        before = out.outputs
        assert before and before[0]["data"]["image/png"]
        box.children[slider].value = box.children[slider].max
        assert out.outputs != before, f"{css}: mover el deslizador no cambia la salida"
        box.children[0].value = ""
        assert "Escribe un texto" in out.outputs[0]["text"]


def test_paso_en_que_la_validacion_deja_de_mejorar():
    """plateau_step marca la primera evaluación desde la que la validación ya no baja más de un 2 %."""
    from utils.training import plateau_step

    history = {"steps": [10, 20, 30, 40, 50], "val_losses": [7.0, 5.0, 4.5, 4.45, 4.6]}
    assert plateau_step(history) == 30  # 4.45 está a menos de un 2 % de 4.5
    assert plateau_step({"steps": [1, 2], "val_losses": [5.0, 3.0]}) == 2
