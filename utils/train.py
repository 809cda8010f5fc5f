"""Entrena un GPT pequeño desde la línea de órdenes, en un proceso o en varios con torch.distributed.

Un proceso:

    python -m utils.train --corpus data/corpus_curso.txt --steps 300

Dos procesos en esta máquina (la misma orden, lanzada por torchrun):

    torchrun --standalone --nproc_per_node=2 -m utils.train --corpus data/corpus_curso.txt --steps 300

Con varios procesos, cada uno tiene una copia del modelo y una parte de cada lote
(DistributedSampler); DistributedDataParallel promedia los gradientes entre todos antes de cada paso
del optimizador, así que todas las copias siguen iguales. --batch-size es el lote global: cada
proceso toma batch_size / procesos ventanas. Solo el proceso de rango 0 escribe: progreso,
pérdidas, gráfica y puntos de control.

--device elige dónde se entrena (auto: la GPU de NVIDIA si hay, si no la de Apple, si no la CPU). Todo lo
que se puede comprobar antes de entrenar (las opciones, el corpus, que --out admite escritura) se
comprueba antes: un error sale en una línea y con código 2 (la orden está mal escrita) o 1 (algo falló
al ejecutarla); --debug muestra la traza completa. Ctrl+C para al terminar el paso en curso y guarda un
punto de control, del que se continúa con la misma orden y --resume.
"""

import contextlib
import datetime
import os
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.distributed as dist

from utils.checks import check_writable_path
from utils.cli import (
    CourseArgumentParser,
    UsageError,
    non_negative_float,
    non_negative_int,
    one_of,
    positive_float,
    positive_int,
    probability,
    run_command,
)
from utils.config import GPT_CONFIG_124M
from utils.data import CORPUS_PATH, CompactTokenizer, create_dataloaders, read_corpus
from utils.device import DEVICE_CHOICES, ddp_backend, pick_device
from utils.gpt import GPTModel
from utils.tokenizer import install_gpt2_bpe_files
from utils.training import load_checkpoint, plot_losses, read_checkpoint_info, save_checkpoint, train_model

VAL_FRACTION = 0.1


def lesson_config(vocab_size, **changes):
    """Devuelve la configuración del GPT pequeño del notebook 10, pensada para una CPU.

    4 bloques, 4 cabezas, embeddings de 128 y un contexto de 64 tokens; el resto, como GPT_CONFIG_124M.
    La usan el notebook 10, esta orden (sus valores por defecto) y benchmarks/entrenamiento.py.

    Parámetros:
        vocab_size: tamaño del vocabulario (el compacto del corpus: tokenizer.n_vocab).
        changes: claves que cambian, p. ej. emb_dim=64.
    """
    return {**GPT_CONFIG_124M, "vocab_size": vocab_size, "context_length": 64, "emb_dim": 128, "n_heads": 4,
            "n_layers": 4, "drop_rate": 0.1, **changes}


def parse_args(argv=None):
    """Lee las opciones de la línea de órdenes; un valor imposible termina con un error de una línea."""
    lesson = lesson_config(vocab_size=None)
    p = CourseArgumentParser("python -m utils.train", __doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(CORPUS_PATH), help="fichero de texto UTF-8")
    p.add_argument("--out", default="checkpoints/gpt",
                   help="ruta de los puntos de control, sin extensión (gpt.safetensors, gpt.json, gpt.png)")
    p.add_argument("--device", default="auto", type=one_of(*DEVICE_CHOICES),
                   help="dónde entrenar: auto (cuda, si no mps, si no cpu), cpu, cuda o mps")
    p.add_argument("--steps", type=positive_int, default=300, help="pasos de entrenamiento")
    p.add_argument("--batch-size", type=positive_int, default=16, help="lote global (se reparte entre los procesos)")
    p.add_argument("--context-length", type=positive_int, default=lesson["context_length"],
                   help="tokens por ventana")
    p.add_argument("--stride", type=positive_int, default=None, help="avance entre ventanas (por defecto, "
                   "--context-length)")
    p.add_argument("--emb-dim", type=positive_int, default=lesson["emb_dim"], help="tamaño de los embeddings")
    p.add_argument("--n-layers", type=positive_int, default=lesson["n_layers"], help="bloques transformer")
    p.add_argument("--n-heads", type=positive_int, default=lesson["n_heads"], help="cabezas de atención")
    p.add_argument("--drop-rate", type=probability, default=lesson["drop_rate"], help="probabilidad de dropout")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="tasa de aprendizaje máxima")
    p.add_argument("--min-lr", type=non_negative_float, default=1e-4, help="tasa de aprendizaje del último paso")
    p.add_argument("--warmup", type=non_negative_int, default=20, help="pasos de calentamiento")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.1, help="decaimiento de pesos de AdamW")
    p.add_argument("--eval-freq", type=positive_int, default=50, help="cada cuántos pasos se evalúa y se guarda")
    p.add_argument("--eval-iters", type=positive_int, default=10, help="lotes que se usan al evaluar")
    p.add_argument("--seed", type=non_negative_int, default=123, help="semilla de los pesos, el barajado y el dropout")
    p.add_argument("--resume", action="store_true",
                   help="continúa desde el punto de control de --out si existe (se guarda en cada evaluación)")
    p.add_argument("--timeout", type=positive_float, default=60.0,
                   help="segundos que un proceso espera a los demás antes de fallar")
    p.add_argument("--simulate-failure", type=one_of("crash", "hang"), default=None,
                   help="el último proceso muere (crash) o se cuelga (hang) tras la primera evaluación")
    return p.parse_args(argv)


def check_options(args, world_size):
    """Comprueba lo que depende solo de las opciones: combinaciones que no casan (lanza UsageError)."""
    if args.batch_size % world_size:
        fix = (args.batch_size // world_size + 1) * world_size
        raise UsageError(f"--batch-size ({args.batch_size}) es el lote global y debe repartirse por igual entre los "
                         f"{world_size} procesos; prueba --batch-size {fix}.")
    if args.emb_dim % args.n_heads:
        fix = (args.emb_dim // args.n_heads + 1) * args.n_heads
        raise UsageError(f"--emb-dim ({args.emb_dim}) debe ser divisible entre --n-heads ({args.n_heads}): cada "
                         f"cabeza recibe emb_dim / n_heads valores; prueba --emb-dim {fix}.")
    if args.min_lr > args.lr:
        raise UsageError(f"--min-lr ({args.min_lr:g}) no puede ser mayor que --lr ({args.lr:g}): la tasa baja de --lr "
                         "a --min-lr; prueba --min-lr {:g}.".format(args.lr / 10))
    if args.stride is not None and args.stride > args.context_length:
        print(f"aviso: con --stride {args.stride} mayor que --context-length {args.context_length}, "
              "hay tokens del corpus que ninguna ventana usa.", file=sys.stderr)


def pick_training_device(name, world_size):
    """El dispositivo de --device, con el error en términos de la orden (UsageError)."""
    try:
        device = pick_device(name)
        if world_size > 1:
            ddp_backend(device)  # mps no puede repartir el entrenamiento entre procesos
    except (ValueError, RuntimeError) as err:
        raise UsageError(f"--device {name}: {err}") from None
    return device


def check_corpus_fits(n_tokens, args, world_size):
    """Comprueba que el corpus da al menos una ventana de validación y un lote de entrenamiento por proceso."""
    n_train = int(n_tokens * (1 - VAL_FRACTION))
    n_val = n_tokens - n_train
    if n_val < args.context_length + 1:
        fix = f" o un --context-length de {n_val - 1} o menos" if n_val > 1 else ""
        raise ValueError(
            f"El corpus {args.corpus!r} tiene {n_tokens} tokens: su {100 * VAL_FRACTION:.0f} % final, para "
            f"validación, tiene {n_val}, y una ventana necesita --context-length + 1 = {args.context_length + 1}; "
            f"usa un corpus más largo{fix}."
        )
    stride = args.stride or args.context_length
    windows = len(range(0, n_train - args.context_length, stride)) // world_size
    per_process = args.batch_size // world_size
    if windows < per_process:
        raise ValueError(
            f"Con este corpus salen {windows} ventanas de entrenamiento por proceso y un lote necesita {per_process}: "
            f"no sale ni un lote; usa --batch-size {max(1, windows) * world_size} o menos, un --context-length "
            "menor o un corpus más largo."
        )


def prepare(args, rank, world_size):
    """Comprueba todo lo que se puede comprobar antes de entrenar y prepara los datos y la configuración.

    Devuelve:
        un SimpleNamespace con device, tokenizer, token_ids, train_loader, val_loader, cfg y resume_info.
    """
    check_options(args, world_size)
    device = pick_training_device(args.device, world_size)
    if rank == 0:  # solo el rango 0 escribe
        check_writable_path(args.out, option="--out", suffixes=(".safetensors", ".json", ".png"))
    try:
        text = read_corpus(args.corpus)
    except (OSError, ValueError) as err:
        raise type(err)(f"--corpus: {err}") from None
    install_gpt2_bpe_files()
    import tiktoken

    tokenizer = CompactTokenizer.from_text(tiktoken.get_encoding("gpt2"), text)
    resume_info = None
    if args.resume and Path(args.out).with_suffix(".json").is_file():
        resume_info = read_checkpoint_info(args.out)
        saved = resume_info.get("extra", {}).get("gpt2_ids")
        if saved is not None and saved != tokenizer.gpt2_ids:
            raise ValueError(f"El punto de control {args.out!r} se entrenó con otro vocabulario (otro corpus); "
                             "continúa con el mismo --corpus o usa otro --out para empezar de cero.")
    token_ids = tokenizer.encode(text)
    check_corpus_fits(len(token_ids), args, world_size)
    train_loader, val_loader = create_dataloaders(
        token_ids, args.context_length, args.batch_size // world_size, stride=args.stride,
        val_fraction=VAL_FRACTION, seed=args.seed, num_replicas=world_size, rank=rank)
    cfg = lesson_config(tokenizer.n_vocab, context_length=args.context_length, emb_dim=args.emb_dim,
                        n_layers=args.n_layers, n_heads=args.n_heads, drop_rate=args.drop_rate)
    if resume_info is not None and resume_info["config"] != cfg:
        differ = [k for k in cfg if resume_info["config"].get(k) != cfg[k]]
        was = ", ".join(f"--{k.replace('_', '-')} {resume_info['config'].get(k)}" for k in differ)
        raise UsageError(f"El punto de control {args.out!r} se entrenó con {was}; para continuarlo usa esas "
                         "mismas opciones, o usa otro --out para empezar de cero.")
    if resume_info is not None and resume_info["step"] >= args.steps:
        raise UsageError(f"El punto de control {args.out!r} ya tiene {resume_info['step']} pasos y pides --steps "
                         f"{args.steps}; para entrenar más, da un --steps mayor.")
    return SimpleNamespace(device=device, tokenizer=tokenizer, token_ids=token_ids, train_loader=train_loader,
                           val_loader=val_loader, cfg=cfg, resume_info=resume_info)


class _OutLock:
    """Reserva --out para este entrenamiento: un segundo entrenamiento con el mismo --out falla al empezar.

    Sin la reserva, dos entrenamientos a la vez se pisarían los puntos de control (el .safetensors de uno
    con el .json del otro). Usa un cerrojo del sistema (fcntl.flock), que se suelta solo si el proceso
    muere; donde no existe (Windows), no reserva nada.
    """

    def __init__(self, out):
        self.path = Path(out).with_suffix(".lock")
        self.file = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:
            return self
        self.file = open(self.path, "a+")  # noqa: SIM115 - se cierra en __exit__
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            self.file = None
            out = str(self.path.with_suffix(""))
            raise RuntimeError(f"Otro entrenamiento está escribiendo ahora en --out {out!r}; espera a que termine o "
                               "usa otro --out.") from None
        return self

    def __exit__(self, *exc):
        if self.file is not None:
            self.path.unlink(missing_ok=True)
            self.file.close()  # al cerrarlo se suelta el cerrojo


class _StopRequested(Exception):
    """Ctrl+C pidió parar; se para entre dos pasos, nunca a mitad de un guardado."""


def setup_distributed(device, timeout):
    """Inicia el grupo de procesos si torchrun lanzó este proceso (nccl con cuda, gloo con cpu)."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
    # con un límite de espera, un proceso que muere o se cuelga hace fallar a los demás en vez de bloquearlos
    dist.init_process_group(ddp_backend(device), timeout=datetime.timedelta(seconds=timeout))


def main(argv=None):
    """Entrena según las opciones; devuelve el historial de pérdidas (en el rango 0).

    Los errores salen como excepciones; run_command (al ejecutar python -m utils.train) los convierte en una
    línea y un código de salida.
    """
    args = parse_args(argv)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    data = prepare(args, rank, world_size)  # antes de esperar a los demás procesos: un error sale al momento
    with _OutLock(args.out) if rank == 0 else contextlib.nullcontext():
        if world_size > 1:
            setup_distributed(data.device, args.timeout)
        try:
            return run(args, rank, world_size, data)
        except RuntimeError as err:
            if world_size == 1:
                raise
            why = (f"otro proceso no respondió en {args.timeout:g} s (--timeout)" if "timed out" in str(err).lower()
                   else "se perdió la conexión con otro proceso")
            raise RuntimeError(f"[rango {rank}] {why}, probablemente porque murió o se colgó; se cancela el "
                               f"entrenamiento. Mira el mensaje de los demás procesos. Detalle: {err}") from err
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()


def run(args, rank, world_size, data):
    """El entrenamiento en sí, en el proceso rank de world_size, con los datos de prepare."""
    device = data.device
    torch.manual_seed(args.seed)
    model = GPTModel(data.cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    start_step = 0
    if data.resume_info is not None:
        start_step = load_checkpoint(args.out, model, optimizer)["step"]
    if world_size > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    if rank == 0:
        note = "" if not args.resume or data.resume_info else f" (no había punto de control en {args.out})"
        print(f"{world_size} proceso(s) en {device}, {sum(p.numel() for p in model.parameters())} parámetros, "
              f"vocabulario {data.tokenizer.n_vocab}, {len(data.token_ids)} tokens, paso inicial {start_step}{note}",
              flush=True)

    extra = {"gpt2_ids": data.tokenizer.gpt2_ids, "world_size": world_size, "total_steps": args.steps}
    saved = {"step": start_step if data.resume_info else None}
    fail_step = args.eval_freq if args.eval_freq < args.steps else 1  # tras el primer punto de control, si lo hay
    stop = {"requested": False}

    def on_step(step):
        if stop["requested"]:
            raise _StopRequested(step)
        if args.simulate_failure and rank == world_size - 1 and step == fail_step:
            if args.simulate_failure == "crash":
                print(f"[rango {rank}] simulo un fallo: el proceso muere", file=sys.stderr, flush=True)
                os._exit(1)
            print(f"[rango {rank}] simulo un proceso colgado", file=sys.stderr, flush=True)
            time.sleep(max(600.0, 10 * args.timeout))

    def save(step):
        save_checkpoint(args.out, model, optimizer, step, extra=extra)
        saved["step"] = step

    def on_eval(step, train_loss, val_loss):
        print(f"paso {step}: pérdida de entrenamiento {train_loss:.4f}, de validación {val_loss:.4f}", flush=True)
        if step < args.steps:  # un punto de control en cada evaluación: --resume continúa desde el último
            save(step)

    def on_sigint(signum, frame):
        stop["requested"] = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # un segundo Ctrl+C corta ya
        print("\nCtrl+C: paro al terminar este paso y guardo un punto de control (otro Ctrl+C corta sin guardar).",
              file=sys.stderr, flush=True)

    # Con un proceso, Ctrl+C para entre dos pasos. Con varios, cada uno lo recibiría en un paso distinto y
    # los demás se quedarían esperando: allí Ctrl+C corta y se continúa desde el último punto de control.
    graceful = world_size == 1 and _in_main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if graceful else None
    try:
        history = train_model(
            model, data.train_loader, data.val_loader, optimizer, total_steps=args.steps, max_lr=args.lr,
            warmup_steps=args.warmup, min_lr=args.min_lr, eval_freq=args.eval_freq, eval_iters=args.eval_iters,
            start_step=start_step, on_eval=on_eval if rank == 0 else None, on_step=on_step, progress=rank == 0,
            evaluate=rank == 0)
    except _StopRequested as stopped:
        step = stopped.args[0]
        if rank == 0 and step > 0 and saved["step"] != step:
            save(step)
        raise KeyboardInterrupt(_resume_hint(args, saved["step"])) from None
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_resume_hint(args, saved["step"]) if rank == 0 else "") from None
    finally:
        if graceful:
            signal.signal(signal.SIGINT, previous)
    if rank == 0:
        save(args.steps)
        print(f"punto de control guardado en {args.out}.safetensors y {args.out}.json", flush=True)
        if history["steps"]:
            import matplotlib

            matplotlib.use("Agg")  # sin pantalla: solo se guarda el fichero
            import matplotlib.pyplot as plt

            plot_losses(history)
            plt.savefig(Path(args.out).with_suffix(".png"), dpi=100, bbox_inches="tight")
            plt.close()
    return history


def _in_main_thread():
    import threading

    return threading.current_thread() is threading.main_thread()


def _resume_hint(args, step):
    """El mensaje de Ctrl+C: qué quedó guardado y cómo continuar."""
    if step is None:
        return "Entrenamiento interrumpido antes del primer punto de control: no se guardó nada."
    return (f"Entrenamiento interrumpido. El punto de control del paso {step} está completo en {args.out}.safetensors "
            f"y {args.out}.json; continúa con la misma orden y --resume.")


if __name__ == "__main__":
    sys.exit(run_command(main))
