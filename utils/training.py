# utils/training.py
"""Entrenar GPTModel: pérdida de entropía cruzada, AdamW con calentamiento y decaimiento coseno, puntos de control."""

import hashlib
import json
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from utils.checks import check_positive_int, check_training_args


def calc_loss_batch(input_batch, target_batch, model):
    """Calcula la pérdida de entropía cruzada media de un lote.

    cross_entropy espera (N, clases) y (N,): se aplanan el lote y las posiciones en una sola dimensión,
    porque cada posición de cada ventana es una predicción independiente del token siguiente.

    Parámetros:
        input_batch, target_batch: tensores de ids (batch, num_tokens).
        model: devuelve logits (batch, num_tokens, vocab_size).

    Devuelve:
        tensor escalar con la pérdida (en nats por token).
    """
    logits = model(input_batch)  # (batch, num_tokens, vocab_size)
    return F.cross_entropy(logits.flatten(0, 1), target_batch.flatten())  # (batch·num_tokens, vocab_size)


def calc_loss_loader(data_loader, model, num_batches=None):
    """Devuelve la pérdida media de los primeros num_batches lotes de data_loader (todos si es None)."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with torch.no_grad():
        for i, (input_batch, target_batch) in enumerate(data_loader):
            if num_batches is not None and i >= num_batches:
                break
            total += calc_loss_batch(input_batch.to(device), target_batch.to(device), model).item()
            count += 1
    if count == 0:
        raise ValueError("El DataLoader no tiene ningún lote; usa un corpus más largo o un batch_size menor.")
    return total / count


def learning_rate(step, max_lr, total_steps, warmup_steps, min_lr=0.0):
    """Devuelve la tasa de aprendizaje del paso step: subida lineal y después decaimiento coseno.

    Parámetros:
        step: paso actual, empezando en 0.
        max_lr: tasa máxima, la que se alcanza al terminar el calentamiento.
        total_steps: pasos de todo el entrenamiento.
        warmup_steps: pasos de calentamiento (la tasa sube de max_lr/warmup_steps a max_lr).
        min_lr: tasa del último paso.
    """
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * min(1.0, progress)))


def train_model(model, train_loader, val_loader, optimizer, total_steps, max_lr, warmup_steps=0, min_lr=0.0,
                grad_clip=1.0, eval_freq=50, eval_iters=None, start_step=0, stop_step=None, on_eval=None, on_step=None,
                progress=True, evaluate=True):
    """Entrena model durante total_steps pasos (lotes) y evalúa cada eval_freq pasos.

    Cada paso: tasa de aprendizaje del paso, pérdida del lote, gradientes, recorte de la norma del
    gradiente a grad_clip y un paso del optimizador. Las épocas recorren el DataLoader de entrenamiento
    barajado de nuevo cada vez (set_epoch), y el paso s siempre usa el mismo lote: por eso, empezando en
    start_step tras cargar un punto de control, se continúa exactamente donde se dejó.

    Parámetros:
        model: el modelo (o el modelo envuelto en DistributedDataParallel).
        train_loader, val_loader: los de create_dataloaders.
        optimizer: p. ej. torch.optim.AdamW.
        total_steps: pasos de todo el entrenamiento.
        max_lr, warmup_steps, min_lr: la curva de la tasa de aprendizaje (ver learning_rate).
        grad_clip: norma máxima del gradiente (None: sin recorte).
        eval_freq: cada cuántos pasos se evalúa (también tras el último).
        eval_iters: lotes que se usan al evaluar (None: todos).
        start_step: paso desde el que se continúa.
        stop_step: paso en el que se para antes de terminar (None: total_steps); la curva de la tasa de
            aprendizaje sigue siendo la de total_steps, para guardar y continuar después.
        on_eval: función on_eval(step, train_loss, val_loss) que se llama en cada evaluación.
        on_step: función on_step(step) que se llama antes de cada paso (None: ninguna).
        progress: si se muestra la barra de progreso de tqdm.
        evaluate: si se evalúa (con varios procesos, solo el de rango 0 lo hace).

    Devuelve:
        diccionario con "steps", "train_losses" y "val_losses" de cada evaluación.
    """
    check_positive_int("total_steps", total_steps)
    check_positive_int("eval_freq", eval_freq)
    inner = getattr(model, "module", model)  # sin el envoltorio de DistributedDataParallel
    input0, _ = train_loader.dataset[0]
    check_training_args(inner, len(input0), train_loader.batch_size, max_lr)
    device = next(model.parameters()).device
    history = {"steps": [], "train_losses": [], "val_losses": []}
    batches_per_epoch = len(train_loader)
    stop_step = total_steps if stop_step is None else min(stop_step, total_steps)
    step = start_step
    bar = tqdm(total=stop_step, initial=start_step, disable=not progress, desc="entrenando", mininterval=1.0)
    while step < stop_step:
        epoch, skip = divmod(step, batches_per_epoch)
        train_loader.sampler.set_epoch(epoch)  # un orden distinto en cada época, el mismo en cada proceso
        for i, (input_batch, target_batch) in enumerate(train_loader):
            if i < skip:
                continue  # lotes ya vistos antes del punto de control
            if on_step is not None:
                on_step(step)
            model.train()
            lr = learning_rate(step, max_lr, total_steps, warmup_steps, min_lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad()
            loss = calc_loss_batch(input_batch.to(device), target_batch.to(device), model)
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            step += 1
            bar.update(1)
            if evaluate and (step % eval_freq == 0 or step == total_steps):
                inner.eval()
                train_loss = calc_loss_loader(train_loader, inner, eval_iters)
                val_loss = calc_loss_loader(val_loader, inner, eval_iters)
                history["steps"].append(step)
                history["train_losses"].append(train_loss)
                history["val_losses"].append(val_loss)
                bar.set_postfix(train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
                if on_eval is not None:
                    on_eval(step, train_loss, val_loss)
            if step >= stop_step:
                break
    bar.close()
    inner.eval()
    return history


def plateau_step(history, tol=0.02):
    """Devuelve el primer paso evaluado desde el que la pérdida de validación ya no mejora más de tol (relativo).

    Es decir, el primer paso s tal que ninguna evaluación posterior baja de val(s)·(1 - tol): a partir de
    ahí, seguir entrenando apenas ayuda con texto nuevo.
    """
    steps, val = history["steps"], history["val_losses"]
    for i, loss in enumerate(val):
        if min(val[i:]) > loss * (1 - tol):
            return steps[i]
    return steps[-1]


def plot_losses(history, ax=None, tol=0.02):
    """Dibuja las pérdidas de entrenamiento y validación y marca dónde la de validación deja de mejorar.

    Parámetros:
        history: el diccionario que devuelve train_model.
        ax: ejes de matplotlib donde dibujar (None: crea una figura nueva).
        tol: mejora relativa por debajo de la cual se considera que la validación ya no mejora (ver plateau_step).

    Devuelve:
        el paso marcado, el de plateau_step.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    step = plateau_step(history, tol)
    ax.plot(history["steps"], history["train_losses"], label="entrenamiento")
    ax.plot(history["steps"], history["val_losses"], label="validación")
    ax.axvline(step, color="gray", linestyle="--", label=f"la validación deja de mejorar (paso {step})")
    ax.set_xlabel("paso")
    ax.set_ylabel("pérdida (entropía cruzada)")
    ax.legend()
    return step


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_checkpoint(path, model, optimizer, step, extra=None):
    """Guarda un punto de control: path.safetensors (tensores) y path.json (lo demás). Nunca usa pickle.

    En el fichero safetensors van los pesos del modelo ("model."), el estado de AdamW ("optimizer.") y
    el estado del generador aleatorio ("rng"); en el JSON, la configuración, el paso, los
    hiperparámetros del optimizador, la huella SHA-256 del safetensors y extra. Cada fichero se escribe
    con un nombre temporal y luego se renombra: un guardado interrumpido nunca deja un fichero a medias
    donde había uno bueno.

    Parámetros:
        path: ruta sin extensión, p. ej. "checkpoints/gpt" -> gpt.safetensors y gpt.json.
        model: el modelo (con su cfg).
        optimizer: el optimizador.
        step: pasos ya dados.
        extra: diccionario serializable en JSON que se guarda tal cual (p. ej. el vocabulario).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)
    tensors = {f"model.{k}": v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    for index, state in opt_state["state"].items():
        for key, value in state.items():
            tensors[f"optimizer.{index}.{key}"] = value.detach().contiguous().clone()
    tensors["rng"] = torch.get_rng_state()
    weights, meta = path.with_suffix(".safetensors"), path.with_suffix(".json")
    tmp = weights.with_name(weights.name + f".{os.getpid()}.tmp")
    tmp_meta = meta.with_name(meta.name + f".{os.getpid()}.tmp")
    try:
        save_file(tensors, str(tmp))
        info = {
            "config": model.cfg,
            "step": step,
            "optimizer_param_groups": opt_state["param_groups"],
            "safetensors_sha256": _sha256(tmp),
            "extra": extra or {},
        }
        tmp_meta.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    except BaseException:
        tmp.unlink(missing_ok=True)  # no deja restos del guardado fallido
        tmp_meta.unlink(missing_ok=True)
        raise
    os.replace(tmp, weights)  # atómico: el fichero viejo o el nuevo, nunca uno a medias
    os.replace(tmp_meta, meta)


def load_checkpoint(path, model, optimizer=None):
    """Carga un punto de control de save_checkpoint en model (y optimizer) y devuelve su JSON.

    Restaura también el estado del generador aleatorio, para que el dropout continúe igual.

    Parámetros:
        path: ruta sin extensión, la misma que en save_checkpoint.
        model: un modelo creado con la misma configuración.
        optimizer: el optimizador, o None para cargar solo los pesos.

    Devuelve:
        el diccionario del JSON: "config", "step", "extra"...
    """
    path = Path(path)
    weights, meta = path.with_suffix(".safetensors"), path.with_suffix(".json")
    for f in (weights, meta):
        if not f.is_file():
            raise FileNotFoundError(
                f"Falta {str(f)!r}: un punto de control son dos ficheros, {weights.name} y {meta.name}."
            )
    info = json.loads(meta.read_text(encoding="utf-8"))
    if _sha256(weights) != info["safetensors_sha256"]:
        raise ValueError(
            f"{weights.name} no es el que describe {meta.name} (su huella SHA-256 no coincide): el guardado se "
            "interrumpió entre los dos ficheros. Usa otro punto de control o vuelve a entrenar."
        )
    model = getattr(model, "module", model)
    differ = {k: (info["config"].get(k), model.cfg.get(k))
              for k in sorted(set(info["config"]) | set(model.cfg)) if info["config"].get(k) != model.cfg.get(k)}
    if differ:
        detail = ", ".join(f"{k}: punto de control {a!r}, modelo {b!r}" for k, (a, b) in differ.items())
        raise ValueError(
            f"La configuración del punto de control no coincide con la del modelo ({detail}); "
            "crea el modelo con GPTModel(info['config']) usando la configuración guardada."
        )
    tensors = load_file(str(weights))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    if optimizer is not None:
        state = {}
        for key, value in tensors.items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": info["optimizer_param_groups"]})
    torch.set_rng_state(tensors["rng"])
    return info
