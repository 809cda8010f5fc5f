"""Velocidad de entrenamiento en CPU: tokens por segundo y FLOP/s conseguidos frente al techo de la máquina.

Uso, desde la raíz del repositorio:

    python -m benchmarks.entrenamiento             # la configuración del notebook 10
    python -m benchmarks.entrenamiento --threads 1 # con un solo hilo

Entrena la configuración del notebook 10 (4 bloques, 4 cabezas, emb_dim 128, contexto 64, lotes de 16
ventanas, vocabulario compacto del corpus del curso) durante --steps pasos, tras unos de calentamiento,
y da la mediana. Los FLOPs de un paso son utils.flops.training_flops (pasada hacia delante más
retropropagación, el triple de la primera); el techo es utils.roofline.matmul_flops, una multiplicación
de matrices float32 de 1024 × 1024 medida en la misma ejecución. Si la máquina está ocupada, las dos
medidas bajan: el cociente es lo que hay que mirar.
"""

import statistics
import sys
import time

import torch

from utils.cli import CourseArgumentParser, positive_int, run_command
from utils.data import CORPUS_PATH, CompactTokenizer, create_dataloaders, read_corpus
from utils.flops import training_flops
from utils.gpt import GPTModel
from utils.roofline import matmul_flops
from utils.tokenizer import install_gpt2_bpe_files
from utils.train import check_corpus_fits, lesson_config
from utils.training import calc_loss_batch


def main(argv=None):
    p = CourseArgumentParser("python -m benchmarks.entrenamiento", __doc__.split("\n\n")[0])
    p.add_argument("--steps", type=positive_int, default=20, help="pasos medidos")
    p.add_argument("--threads", type=positive_int, default=None,
                   help="hilos de PyTorch (por defecto, los de la máquina)")
    p.add_argument("--batch-size", type=positive_int, default=16, help="ventanas por lote")
    p.add_argument("--context-length", type=positive_int, default=lesson_config(None)["context_length"],
                   help="tokens por ventana")
    p.set_defaults(corpus=str(CORPUS_PATH), stride=None)  # lo que mira check_corpus_fits
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    install_gpt2_bpe_files()
    import tiktoken

    text = read_corpus(CORPUS_PATH)
    tokenizer = CompactTokenizer.from_text(tiktoken.get_encoding("gpt2"), text)
    token_ids = tokenizer.encode(text)
    check_corpus_fits(len(token_ids), args, world_size=1)
    train_loader, _ = create_dataloaders(token_ids, args.context_length, args.batch_size)
    cfg = lesson_config(tokenizer.n_vocab, context_length=args.context_length)
    torch.manual_seed(123)
    model = GPTModel(cfg).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    batches = iter(train_loader)
    times = []
    for i in range(args.steps + 3):  # 3 pasos de calentamiento que no cuentan
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(train_loader)
            x, y = next(batches)
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = calc_loss_batch(x, y, model)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if i >= 3:
            times.append(time.perf_counter() - start)
    step = statistics.median(times)
    tokens = args.batch_size * args.context_length
    achieved = training_flops(cfg, args.context_length, args.batch_size) / step
    peak = matmul_flops()
    print(f"hilos de PyTorch: {torch.get_num_threads()}")
    print(f"parámetros: {sum(p.numel() for p in model.parameters())}, vocabulario compacto: {tokenizer.n_vocab}")
    print(f"paso de entrenamiento (mediana de {args.steps}): {1000 * step:.1f} ms")
    print(f"tokens por segundo: {tokens / step:.0f}")
    print(f"FLOP/s conseguidos: {achieved / 1e9:.2f} GFLOP/s")
    print(f"techo medido (matmul float32 1024³): {peak / 1e9:.2f} GFLOP/s")
    print(f"aprovechamiento: {100 * achieved / peak:.1f} %")


if __name__ == "__main__":
    sys.exit(run_command(main))
