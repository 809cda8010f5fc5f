# utils/training.py
"""Entrenar GPTModel: pérdida, tasa de aprendizaje, bucle de entrenamiento, curva de pérdidas y puntos de control."""

import hashlib
import json
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from utils.checks import check_training_args


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
    """Devuelve la pérdida media de los primeros num_batches lotes de data_loader (todos si es None).

    Calcula sin gradientes y lleva cada lote al dispositivo del modelo.
    """
    device = next(model.parameters()).device
    num_batches = len(data_loader) if num_batches is None else min(num_batches, len(data_loader))
    total = 0.0
    with torch.no_grad():
        for i, (input_batch, target_batch) in enumerate(data_loader):
            if i == num_batches:
                break
            total += calc_loss_batch(input_batch.to(device), target_batch.to(device), model).item()
    return total / num_batches


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


def train_step(model, optimizer, input_batch, target_batch, lr, grad_clip=1.0):
    """Da un paso de entrenamiento con un lote y devuelve su pérdida (antes del paso).

    Parámetros:
        model: el modelo; se pone en modo entrenamiento (dropout activo).
        optimizer: p. ej. torch.optim.AdamW.
        input_batch, target_batch: tensores de ids (batch, num_tokens), en el dispositivo del modelo.
        lr: tasa de aprendizaje de este paso (ver learning_rate).
        grad_clip: norma máxima de todos los gradientes juntos (float("inf"): sin recorte).

    Devuelve:
        tensor escalar con la pérdida del lote.
    """
    model.train()
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad()  # los gradientes se suman en .grad: hay que borrar los del paso anterior
    loss = calc_loss_batch(input_batch, target_batch, model)
    loss.backward()  # la derivada de la pérdida respecto a cada peso, en su .grad
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()  # AdamW mueve cada peso según su gradiente
    return loss


def evaluate_model(model, train_loader, val_loader, eval_iters=None):
    """Devuelve (pérdida de entrenamiento, pérdida de validación), cada una media de eval_iters lotes.

    Deja el modelo en modo evaluación (sin dropout): train_step lo vuelve a poner en modo entrenamiento.
    """
    model.eval()
    train_loss = calc_loss_loader(train_loader, model, eval_iters)
    val_loss = calc_loss_loader(val_loader, model, eval_iters)
    return train_loss, val_loss


def training_batches(train_loader, start_step, stop_step):
    """Da (paso, lote) para cada paso de start_step a stop_step - 1, época tras época.

    Cada época recorre el DataLoader en otro orden (set_epoch), y el paso s recibe siempre el mismo lote:
    el número s % len(train_loader) de la época s // len(train_loader). Por eso, al continuar en start_step
    desde un punto de control, se sigue exactamente donde se dejó.
    """
    step = start_step
    while step < stop_step:
        epoch, skip = divmod(step, len(train_loader))
        train_loader.sampler.set_epoch(epoch)  # un orden distinto en cada época, el mismo en cada proceso
        for i, batch in enumerate(train_loader):
            if i < skip:
                continue  # lotes de esta época ya usados antes de start_step
            yield step, batch
            step += 1
            if step == stop_step:
                return


def train_model_simple(model, train_loader, val_loader, optimizer, device, total_steps, eval_freq, eval_iters,
                       max_lr, warmup_steps, min_lr, grad_clip=1.0, on_eval=None):
    """Entrena model durante total_steps pasos (lotes) y evalúa cada eval_freq pasos: el bucle de la lección.

    Cada paso toma un lote, calcula la tasa de aprendizaje del paso y da un paso de entrenamiento
    (train_step). Cada eval_freq pasos, y tras el último, mide las pérdidas, las escribe y llama a on_eval.

    Parámetros:
        model: el modelo, ya en device.
        train_loader, val_loader: los de create_dataloaders.
        optimizer: p. ej. torch.optim.AdamW.
        device: dónde están el modelo y adonde van los lotes (ver utils/device.py).
        total_steps: pasos de todo el entrenamiento.
        eval_freq: cada cuántos pasos se evalúa.
        eval_iters: lotes que se usan al evaluar (None: todos).
        max_lr, warmup_steps, min_lr: la curva de la tasa de aprendizaje (ver learning_rate).
        grad_clip: norma máxima del gradiente (ver train_step).
        on_eval: función on_eval(step, train_loss, val_loss) que se llama en cada evaluación (None: ninguna).

    Devuelve:
        diccionario con "steps", "train_losses" y "val_losses" de cada evaluación.
    """
    history = {"steps": [], "train_losses": [], "val_losses": []}
    for step, (input_batch, target_batch) in training_batches(train_loader, 0, total_steps):
        input_batch, target_batch = input_batch.to(device), target_batch.to(device)
        lr = learning_rate(step, max_lr, total_steps, warmup_steps, min_lr)
        train_step(model, optimizer, input_batch, target_batch, lr, grad_clip)
        if (step + 1) % eval_freq == 0 or step + 1 == total_steps:
            train_loss, val_loss = evaluate_model(model, train_loader, val_loader, eval_iters)
            print(f"paso {step + 1:>3}: pérdida de entrenamiento {train_loss:.3f}, de validación {val_loss:.3f}")
            history["steps"].append(step + 1)
            history["train_losses"].append(train_loss)
            history["val_losses"].append(val_loss)
            if on_eval is not None:
                on_eval(step + 1, train_loss, val_loss)
    return history


def train_model(model, train_loader, val_loader, optimizer, total_steps, max_lr, warmup_steps=0, min_lr=0.0,
                grad_clip=1.0, eval_freq=50, eval_iters=None, start_step=0, stop_step=None, on_eval=None, on_step=None,
                progress=True, evaluate=True):
    """El bucle de train_model_simple, con lo que la lección no necesita ver: sirve a python -m utils.train.

    Añade la comprobación de los argumentos, los lotes al dispositivo del modelo, una barra de progreso
    en vez de una línea por evaluación, continuar desde un punto de control (start_step) o parar antes
    (stop_step), y varios procesos: model puede venir envuelto en DistributedDataParallel, y solo un
    proceso evalúa. Da los mismos pasos que train_model_simple, con los mismos números.

    Parámetros:
        model: el modelo (o el modelo envuelto en DistributedDataParallel).
        train_loader, val_loader, optimizer, total_steps, max_lr, warmup_steps, min_lr, grad_clip, eval_freq,
            eval_iters, on_eval: como en train_model_simple.
        start_step: paso desde el que se continúa (el guardado en el punto de control).
        stop_step: paso en el que se para antes de terminar (None: total_steps); la curva de la tasa de
            aprendizaje sigue siendo la de total_steps, para guardar y continuar después.
        on_step: función on_step(step) que se llama antes de cada paso (None: ninguna).
        progress: si se muestra la barra de progreso de tqdm.
        evaluate: si se evalúa (con varios procesos, solo el de rango 0 lo hace).

    Devuelve:
        diccionario con "steps", "train_losses" y "val_losses" de cada evaluación.
    """
    check_training_args(model, train_loader, total_steps, eval_freq, eval_iters, max_lr)
    inner = getattr(model, "module", model)  # sin el envoltorio de DistributedDataParallel, para evaluar
    device = next(model.parameters()).device
    stop_step = total_steps if stop_step is None else min(stop_step, total_steps)
    history = {"steps": [], "train_losses": [], "val_losses": []}
    bar = tqdm(total=stop_step, initial=start_step, disable=not progress, desc="entrenando", mininterval=1.0)
    for step, (input_batch, target_batch) in training_batches(train_loader, start_step, stop_step):
        if on_step is not None:
            on_step(step)
        lr = learning_rate(step, max_lr, total_steps, warmup_steps, min_lr)
        train_step(model, optimizer, input_batch.to(device), target_batch.to(device), lr, grad_clip)
        bar.update(1)
        if evaluate and ((step + 1) % eval_freq == 0 or step + 1 == total_steps):
            train_loss, val_loss = evaluate_model(inner, train_loader, val_loader, eval_iters)
            history["steps"].append(step + 1)
            history["train_losses"].append(train_loss)
            history["val_losses"].append(val_loss)
            bar.set_postfix(train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
            if on_eval is not None:
                on_eval(step + 1, train_loss, val_loss)
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


def decimal_comma(x, pos=None):
    """Escribe x con coma decimal ("0,5"), para las marcas de los ejes: FuncFormatter(decimal_comma)."""
    return f"{x:g}".replace(".", ",")


def plot_losses(history, ax=None, tol=0.02):
    """Dibuja las pérdidas de entrenamiento y validación y marca dónde la de validación deja de mejorar.

    Parámetros:
        history: el diccionario que devuelve train_model_simple o train_model.
        ax: ejes de matplotlib donde dibujar (None: crea una figura nueva).
        tol: mejora relativa por debajo de la cual se considera que la validación ya no mejora (ver plateau_step).

    Devuelve:
        el paso marcado, el de plateau_step.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    step = plateau_step(history, tol)
    ax.plot(history["steps"], history["train_losses"], label="entrenamiento")
    ax.plot(history["steps"], history["val_losses"], label="validación")
    ax.axvline(step, color="gray", linestyle="--", label=f"la validación deja de mejorar (paso {step})")
    ax.set_xlabel("paso")
    ax.set_ylabel("pérdida (entropía cruzada, nats)")
    ax.yaxis.set_major_formatter(FuncFormatter(decimal_comma))
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
    # en la CPU: el fichero se carga igual en cualquier dispositivo (cuda, mps o cpu)
    tensors = {f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    for index, state in opt_state["state"].items():
        for key, value in state.items():
            tensors[f"optimizer.{index}.{key}"] = value.detach().cpu().contiguous().clone()
    tensors["rng"] = torch.get_rng_state()
    device = next(model.parameters()).device
    if device.type == "cuda":  # el dropout en la GPU usa el generador de la GPU
        tensors["cuda_rng"] = torch.cuda.get_rng_state(device)
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

    Restaura también el estado del generador aleatorio, para que el dropout continúe igual. Los tensores
    se leen en la CPU y se copian al dispositivo del modelo: un punto de control guardado en una GPU se
    carga en la CPU, y al revés.

    Parámetros:
        path: ruta sin extensión, la misma que en save_checkpoint.
        model: un modelo creado con la misma configuración (en cualquier dispositivo).
        optimizer: el optimizador, o None para cargar solo los pesos.

    Devuelve:
        el diccionario del JSON: "config", "step", "extra"...
    """
    path = Path(path)
    weights, meta = path.with_suffix(".safetensors"), path.with_suffix(".json")
    info = read_checkpoint_info(path)
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
    tensors = load_file(str(weights), device="cpu")  # load_state_dict los copia al dispositivo del modelo
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    if optimizer is not None:
        state = {}
        for key, value in tensors.items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": info["optimizer_param_groups"]})
    torch.set_rng_state(tensors["rng"])
    device = next(model.parameters()).device
    if "cuda_rng" in tensors and device.type == "cuda":
        torch.cuda.set_rng_state(tensors["cuda_rng"], device)
    return info


def read_checkpoint_info(path):
    """Lee el JSON de un punto de control (configuración, paso, extra) sin cargar los tensores.

    Parámetros:
        path: ruta sin extensión, la misma que en save_checkpoint.

    Devuelve:
        el diccionario del JSON; lanza FileNotFoundError o ValueError en español si falta o está dañado.
    """
    path = Path(path)
    weights, meta = path.with_suffix(".safetensors"), path.with_suffix(".json")
    for f in (weights, meta):
        if not f.is_file():
            raise FileNotFoundError(
                f"Falta {str(f)!r}: un punto de control son dos ficheros, {weights.name} y {meta.name}."
            )
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        where = f" (línea {err.lineno}, columna {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise ValueError(
            f"{str(meta)!r} está dañado: no es un JSON válido{where}. Usa otro punto de control o vuelve a "
            "entrenar; si lo editaste a mano, deshaz el cambio."
        ) from None
    missing = [k for k in ("config", "step", "optimizer_param_groups", "safetensors_sha256")
               if not isinstance(info, dict) or k not in info]
    if missing:
        raise ValueError(
            f"{str(meta)!r} no es el JSON de un punto de control de save_checkpoint: le faltan {missing}."
        )
    return info
