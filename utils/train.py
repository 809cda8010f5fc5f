"""Entrena un GPT pequeño desde la línea de órdenes, en un proceso o en varios con torch.distributed.

Un proceso:

    python -m utils.train --corpus data/corpus_curso.txt --steps 300

Dos procesos en esta máquina (la misma orden, lanzada por torchrun):

    torchrun --nproc_per_node=2 -m utils.train --corpus data/corpus_curso.txt --steps 300

Con varios procesos, cada uno tiene una copia del modelo y una parte de cada lote
(DistributedSampler); DistributedDataParallel promedia los gradientes entre todos antes de cada paso
del optimizador, así que todas las copias siguen iguales. --batch-size es el lote global: cada
proceso toma batch_size / procesos ventanas. Solo el proceso de rango 0 escribe: progreso,
pérdidas, gráfica y puntos de control.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

from utils.config import GPT_CONFIG_124M
from utils.data import CORPUS_PATH, CompactTokenizer, create_dataloaders, read_corpus
from utils.gpt import GPTModel
from utils.tokenizer import install_gpt2_bpe_files
from utils.training import load_checkpoint, plot_losses, save_checkpoint, train_model


def parse_args(argv=None):
    """Lee las opciones de la línea de órdenes."""
    p = argparse.ArgumentParser(prog="python -m utils.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(CORPUS_PATH), help="fichero de texto UTF-8 (por defecto, el del curso)")
    p.add_argument("--out", default="checkpoints/gpt", help="ruta de los puntos de control, sin extensión")
    p.add_argument("--steps", type=int, default=300, help="pasos de entrenamiento")
    p.add_argument("--batch-size", type=int, default=16, help="lote global (se reparte entre los procesos)")
    p.add_argument("--context-length", type=int, default=64)
    p.add_argument("--stride", type=int, default=None, help="avance entre ventanas (por defecto, context-length)")
    p.add_argument("--emb-dim", type=int, default=128)
    p.add_argument("--n-layers", type=int, default=4)
    p.add_argument("--n-heads", type=int, default=4)
    p.add_argument("--drop-rate", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=1e-3, help="tasa de aprendizaje máxima")
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=20, help="pasos de calentamiento")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--eval-freq", type=int, default=50)
    p.add_argument("--eval-iters", type=int, default=10)
    p.add_argument("--seed", type=int, default=123)
    p.add_argument("--resume", action="store_true",
                   help="continúa desde el punto de control de --out si existe (se guarda en cada evaluación)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="segundos que un proceso espera a los demás antes de fallar")
    p.add_argument("--simulate-failure", choices=["crash", "hang"], default=None,
                   help="el último proceso muere (crash) o se cuelga (hang) tras la primera evaluación")
    return p.parse_args(argv)


def setup_distributed(timeout):
    """Inicia el grupo de procesos si torchrun lanzó este proceso; devuelve (rank, world_size, device)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return 0, 1, torch.device("cpu")
    if torch.cuda.is_available():
        local_rank = int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
        backend, device = "nccl", torch.device("cuda", local_rank)
    else:
        backend, device = "gloo", torch.device("cpu")
    # con un límite de espera, un proceso que muere o se cuelga hace fallar a los demás en vez de bloquearlos
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout))
    return dist.get_rank(), dist.get_world_size(), device


def main(argv=None):
    """Entrena según las opciones; devuelve el historial de pérdidas (en el rango 0)."""
    args = parse_args(argv)
    rank, world_size, device = setup_distributed(args.timeout)
    try:
        return run(args, rank, world_size, device)
    except RuntimeError as err:
        if world_size == 1:
            raise
        why = (f"otro proceso no respondió en {args.timeout:g} s (--timeout)" if "timed out" in str(err).lower()
               else "se perdió la conexión con otro proceso")
        print(f"[rango {rank}] Error: {why}, probablemente porque murió o se colgó; se cancela el "
              f"entrenamiento. Mira el mensaje de los demás procesos. Detalle: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def run(args, rank, world_size, device):
    """El entrenamiento en sí, en el proceso rank de world_size."""
    if args.batch_size <= 0 or args.batch_size % world_size:
        raise ValueError(
            f"--batch-size ({args.batch_size}) debe ser un entero positivo divisible entre el número de "
            f"procesos ({world_size}); prueba --batch-size {max(1, args.batch_size // world_size + 1) * world_size}."
        )
    install_gpt2_bpe_files()
    import tiktoken

    text = read_corpus(args.corpus)
    tokenizer = CompactTokenizer.from_text(tiktoken.get_encoding("gpt2"), text)
    token_ids = tokenizer.encode(text)
    train_loader, val_loader = create_dataloaders(
        token_ids, args.context_length, args.batch_size // world_size, stride=args.stride, seed=args.seed,
        num_replicas=world_size, rank=rank)
    cfg = {**GPT_CONFIG_124M, "vocab_size": tokenizer.n_vocab, "context_length": args.context_length,
           "emb_dim": args.emb_dim, "n_layers": args.n_layers, "n_heads": args.n_heads, "drop_rate": args.drop_rate}
    torch.manual_seed(args.seed)
    model = GPTModel(cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    start_step = 0
    if args.resume and Path(args.out).with_suffix(".json").is_file():
        start_step = load_checkpoint(args.out, model, optimizer)["step"]
    if world_size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    if rank == 0:
        print(f"{world_size} proceso(s), {sum(p.numel() for p in model.parameters())} parámetros, "
              f"vocabulario {tokenizer.n_vocab}, {len(token_ids)} tokens, paso inicial {start_step}", flush=True)

    extra = {"gpt2_ids": tokenizer.gpt2_ids, "world_size": world_size, "total_steps": args.steps}

    fail_step = args.eval_freq if args.eval_freq < args.steps else 1  # tras el primer punto de control, si lo hay

    def on_step(step):
        if args.simulate_failure and rank == world_size - 1 and step == fail_step:
            if args.simulate_failure == "crash":
                print(f"[rango {rank}] simulo un fallo: el proceso muere", file=sys.stderr, flush=True)
                os._exit(1)
            print(f"[rango {rank}] simulo un proceso colgado", file=sys.stderr, flush=True)
            time.sleep(10 * args.timeout + 60)

    def on_eval(step, train_loss, val_loss):
        print(f"paso {step}: pérdida de entrenamiento {train_loss:.4f}, de validación {val_loss:.4f}", flush=True)
        if step < args.steps:  # un punto de control en cada evaluación: --resume continúa desde el último
            save_checkpoint(args.out, model, optimizer, step, extra=extra)

    history = train_model(
        model, train_loader, val_loader, optimizer, total_steps=args.steps, max_lr=args.lr, warmup_steps=args.warmup,
        min_lr=args.min_lr, eval_freq=args.eval_freq, eval_iters=args.eval_iters, start_step=start_step,
        on_eval=on_eval if rank == 0 else None, on_step=on_step, progress=rank == 0, evaluate=rank == 0)
    if rank == 0:
        save_checkpoint(args.out, model, optimizer, args.steps, extra=extra)
        print(f"punto de control guardado en {args.out}.safetensors y {args.out}.json", flush=True)
        if history["steps"]:
            import matplotlib

            matplotlib.use("Agg")  # sin pantalla: solo se guarda el fichero
            import matplotlib.pyplot as plt

            plot_losses(history)
            plt.savefig(Path(args.out).with_suffix(".png"), dpi=100, bbox_inches="tight")
            plt.close()
    return history


if __name__ == "__main__":
    main()
