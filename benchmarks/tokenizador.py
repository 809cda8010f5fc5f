"""Velocidad del BPE del curso (utils/bpe.py): entrenar y codificar, con tiktoken como referencia.

Uso, desde la raíz del repositorio:

    python -m benchmarks.tokenizador             # el corpus del curso, 3 repeticiones
    python -m benchmarks.tokenizador --reps 5

Mide, con el corpus del curso (data/corpus_curso.txt):

- Entrenar: el BPE español del notebook 11 (tantos tokens como el vocabulario compacto del notebook 10, con el
  texto de entrenamiento) y uno de 4096, en fusiones por segundo, frente a recontar todas las parejas tras cada
  fusión (unas pocas fusiones, extrapolado).
- Codificar el corpus entero: BPETokenizer recién creado (sin trozos en su memoria) y con los trozos ya
  vistos, frente a tiktoken con el mismo vocabulario (to_tiktoken) y, para GPT-2, frente a
  tiktoken.get_encoding("gpt2"). Los cocientes (nuestro tiempo entre el de tiktoken) son lo comparable entre
  máquinas; se da la mediana de --reps repeticiones intercaladas.
"""

import datetime
import os
import platform
import statistics
import sys
import time
from collections import Counter

import regex
import tiktoken

from utils.bpe import ENDOFTEXT, GPT2_SPLIT_PATTERN, BPETokenizer, count_chunks, get_pairs, learn_merges, merge
from utils.cli import CourseArgumentParser, positive_int, run_command
from utils.data import CORPUS_PATH, CompactTokenizer, read_corpus
from utils.roofline import cpu_features
from utils.tokenizer import install_gpt2_bpe_files


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_seconds(fns, reps):
    """Mediana de reps llamadas a cada función, intercaladas (así una racha de carga afecta a todas por igual)."""
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            times[name].append(seconds(fn))
    return {name: statistics.median(t) for name, t in times.items()}


def encode_cold(tokenizer, text):
    """Codifica text con la memoria de trozos del tokenizador vacía."""
    tokenizer.cache = {}
    return tokenizer.encode(text, allowed_special="all")


def naive_seconds_per_merge(text, num_merges=5):
    """Segundos por fusión recontando todas las parejas de todo el texto tras cada una."""
    words = [list(chunk.encode("utf-8")) for chunk in count_chunks(text, GPT2_SPLIT_PATTERN, (ENDOFTEXT,)).elements()]

    def run():
        nonlocal words
        for new_id in range(256, 256 + num_merges):
            counts = Counter(pair for ids in words for pair in get_pairs(ids))
            pair = min(counts, key=lambda p: (-counts[p], p))
            words = [merge(ids, pair, new_id) for ids in words]

    return seconds(run) / num_merges


def main(argv=None):
    p = CourseArgumentParser("python -m benchmarks.tokenizador", __doc__.split("\n\n")[0])
    p.add_argument("--reps", type=positive_int, default=3, help="repeticiones de cada medida (vale la mediana)")
    args = p.parse_args(argv)
    install_gpt2_bpe_files()
    text = read_corpus(CORPUS_PATH)
    gpt2_tiktoken = tiktoken.get_encoding("gpt2")
    gpt2_ids = gpt2_tiktoken.encode(text, allowed_special={ENDOFTEXT})
    train_text = gpt2_tiktoken.decode(gpt2_ids[:int(len(gpt2_ids) * 0.9)])  # el corte del notebook 11
    es_vocab_size = CompactTokenizer.from_text(gpt2_tiktoken, text).n_vocab  # el tamaño del notebook 11

    cpu = cpu_features()
    print("# Velocidad del tokenizador BPE (utils/bpe.py)\n")
    print(f"- fecha: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"- CPU: {cpu['name']}, {os.cpu_count()} núcleos visibles; extensiones: {', '.join(cpu['flags'])} "
          "(el BPE es Python puro y tiktoken, Rust: los dos usan un solo hilo aquí)")
    print(f"- Python {platform.python_version()}, tiktoken {tiktoken.__version__}, regex {regex.__version__}")
    print(f"- carga media al empezar (1, 5, 15 min): {tuple(round(x, 2) for x in os.getloadavg())}")
    print(f"- texto: {CORPUS_PATH.name}, {len(text)} caracteres; entrenamiento con los {len(train_text)} primeros\n")

    print("## Entrenar\n")
    chunk_counts = count_chunks(train_text, GPT2_SPLIT_PATTERN, (ENDOFTEXT,))
    naive = naive_seconds_per_merge(train_text)
    print("| vocab_size | fusiones | segundos (mediana) | fusiones por segundo | × más rápido que recontar todo |")
    print("|---|---|---|---|---|")
    for vocab_size in (es_vocab_size, 4096):
        n = vocab_size - 257
        t = median_seconds({"train": lambda n=n: learn_merges(chunk_counts, n)}, args.reps)["train"]
        print(f"| {vocab_size} | {n} | {t:.3f} | {n / t:.0f} | {naive * n / t:.0f} |")
    t_full = median_seconds({"t": lambda: BPETokenizer.train(train_text, es_vocab_size)}, args.reps)["t"]
    print(f"\nRecontando todo: {1000 * naive:.0f} ms por fusión (5 fusiones medidas). BPETokenizer.train entero "
          f"(pre-tokenización incluida), vocab_size {es_vocab_size}: {t_full:.3f} s.\n")

    print("## Codificar el corpus entero (ms, mediana)\n")
    es = BPETokenizer.train(train_text, es_vocab_size)
    gpt2 = BPETokenizer.from_gpt2()
    cases = [("GPT-2", gpt2, gpt2_tiktoken), ("GPT-2 (to_tiktoken)", gpt2, gpt2.to_tiktoken()),
             (f"español {es_vocab_size}", es, es.to_tiktoken())]
    print("| vocabulario | tiktoken | BPETokenizer nuevo | × tiktoken | BPETokenizer con trozos vistos | × tiktoken |")
    print("|---|---|---|---|---|---|")
    for name, ours, fast in cases:
        assert ours.encode(text, allowed_special="all") == fast.encode(text, allowed_special="all")
        med = median_seconds({
            "tiktoken": lambda fast=fast: fast.encode(text, allowed_special="all"),
            "nuevo": lambda ours=ours: encode_cold(ours, text),
            "visto": lambda ours=ours: ours.encode(text, allowed_special="all"),
        }, args.reps)
        print(f"| {name} | {1000 * med['tiktoken']:.1f} | {1000 * med['nuevo']:.0f} | "
              f"{med['nuevo'] / med['tiktoken']:.1f} | {1000 * med['visto']:.0f} | "
              f"{med['visto'] / med['tiktoken']:.1f} |")
    print("\n«Nuevo»: con la memoria de trozos vacía, como la primera vez que se codifica un texto.")


if __name__ == "__main__":
    sys.exit(run_command(main))
