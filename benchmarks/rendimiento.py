"""Rendimiento en CPU de GPTModel, FastGPTModel y nuestras cachés KV frente a GPT2LMHeadModel de Hugging Face.

Uso, desde la raíz del repositorio:

    python -m benchmarks.rendimiento            # medida completa (decenas de minutos en 2 núcleos)
    python -m benchmarks.rendimiento --quick    # versión corta (menos de 2 minutos en una máquina libre)

Todo se mide en un solo proceso, con los mismos pesos (GPT-2 124M aleatorio: la velocidad no depende
de los valores), float32 y torch.set_num_threads(2). Las repeticiones se intercalan (una de cada
modelo, y vuelta a empezar) y se da la mediana, para que una racha de carga en la máquina afecte a
todos por igual: los cocientes frente a Hugging Face son lo que hay que mirar, más que los segundos.
"""

import argparse
import ctypes
import datetime
import gc
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # utils/ del repositorio, antes que nada

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402

from utils.fast_gpt import fast_gpt_from_state_dict, generate_fast  # noqa: E402
from utils.generation import generate_text_simple  # noqa: E402
from utils.gpt import GPTModel  # noqa: E402
from utils.kv_cache import generate_text_cached  # noqa: E402
from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict, load_hf_weights  # noqa: E402

PROMPT = [6109, 3626, 6100, 345]  # «Every effort moves you» con el tokenizador de GPT-2
HF_REF = "HF sdpa"  # la referencia de los cocientes


# ---------------------------------------------------------------- medidas básicas

def interleaved(contenders, reps, warmup=True, keep_outputs=False):
    """Mide cada función de contenders reps veces, intercaladas y rotando el orden; devuelve las medianas
    (y, con keep_outputs=True, también el último resultado de cada función)."""
    names = list(contenders)
    if warmup:
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    outputs = {}
    for r in range(reps):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            start = time.perf_counter()
            outputs[name] = contenders[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    return (medians, outputs) if keep_outputs else medians


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _trim():
    """Devuelve al sistema la memoria libre que guarda malloc, para que la medida parta de cero."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def peak_memory(fn):
    """Devuelve (resultado de fn, pico de memoria residente por encima de la de partida, en bytes)."""
    _trim()
    base = peak = _rss_bytes()
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_bytes())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = fn()
    finally:
        done.set()
        sampler.join()
    return result, max(peak, _rss_bytes()) - base


def matmul_gflops(reps):
    """Mide el rendimiento de una multiplicación float32 de 2048 x 2048 x 2048 (GFLOP/s, mediana)."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    t = interleaved({"mm": lambda: a @ b}, reps)["mm"]
    return 2 * 2048**3 / t / 1e9


def forward_flops(cfg, batch, num_tokens):
    """FLOPs de una pasada hacia delante con logits en todas las posiciones (2 por multiplicación-suma).

    Cuenta las capas lineales (12·emb_dim² por token y bloque), la capa de salida y la atención causal
    (QKᵀ y pesos·V: cada token mira a los anteriores y a sí mismo).
    """
    E, V, L = cfg["emb_dim"], cfg["vocab_size"], cfg["n_layers"]
    linear = batch * num_tokens * (L * 12 * E * E + V * E)
    attention = batch * L * 2 * E * num_tokens * (num_tokens + 1) // 2
    return 2 * (linear + attention)


def generation_flops(cfg, prompt_len, new_tokens, cached):
    """FLOPs de la generación voraz, contando solo lo imprescindible: con caché, cada token una vez."""
    E, V, L = cfg["emb_dim"], cfg["vocab_size"], cfg["n_layers"]
    per_token = L * 12 * E * E
    total = 0
    if cached:
        total += prompt_len * per_token + V * E
        total += L * 2 * E * prompt_len * (prompt_len + 1) // 2
        for n in range(prompt_len + 1, prompt_len + new_tokens):  # cada token nuevo mira n posiciones
            total += per_token + V * E + L * 2 * E * n
    else:
        for n in range(prompt_len, prompt_len + new_tokens):  # cada paso recalcula n tokens, salida en 1
            total += n * per_token + V * E + L * 2 * E * n * (n + 1) // 2
    return 2 * total


# ---------------------------------------------------------------- modelos

def hf_config():
    return GPT2Config(bos_token_id=None, eos_token_id=None, pad_token_id=None)


def build_models():
    """Crea los cuatro modelos con los mismos pesos: HF (sdpa y eager), GPTModel y FastGPTModel."""
    torch.manual_seed(123)
    hf_sdpa = GPT2LMHeadModel._from_config(hf_config(), attn_implementation="sdpa").eval()
    hf_eager = GPT2LMHeadModel._from_config(hf_config(), attn_implementation="eager").eval()
    hf_eager.load_state_dict(hf_sdpa.state_dict())
    cfg = gpt_config_from_hf(hf_sdpa.config)
    gpt = load_hf_weights(GPTModel(cfg).eval(), hf_sdpa.state_dict())
    fast = fast_gpt_from_state_dict(hf_to_gpt_state_dict(hf_sdpa.state_dict(), cfg), cfg, tie_weights=True)
    return cfg, {"GPTModel": gpt, "FastGPTModel": fast, "HF eager": hf_eager, "HF sdpa": hf_sdpa}


def construction(cfg, reps):
    """Mide el tiempo y la memoria de construir el modelo de 124M de tres maneras."""
    hf_sd = GPT2LMHeadModel(hf_config()).state_dict()  # unos pesos cualesquiera, ya en memoria
    gpt_sd = hf_to_gpt_state_dict(hf_sd, cfg)

    def book():
        torch.manual_seed(123)
        return GPTModel(cfg)

    contenders = {
        "GPTModel(cfg) (inicialización del libro)": book,
        "GPT2LMHeadModel(config) (HF, inicialización aleatoria)": lambda: GPT2LMHeadModel(hf_config()),
        "fast_gpt_from_state_dict (meta + pesos dados)": lambda: fast_gpt_from_state_dict(gpt_sd, cfg, True),
    }
    times = interleaved(contenders, reps, warmup=False)
    memory = {}
    for name, fn in contenders.items():
        model, memory[name] = peak_memory(fn)
        del model
    return times, memory


def forward_fns(models, x):
    """Funciones sin argumentos que hacen una pasada hacia delante completa (logits en todas las posiciones)."""
    return {
        "GPTModel": lambda: models["GPTModel"](x),
        "FastGPTModel": lambda: models["FastGPTModel"](x),
        "HF eager": lambda: models["HF eager"](x, use_cache=False).logits,
        "HF sdpa": lambda: models["HF sdpa"](x, use_cache=False).logits,
    }


def generation_fns(models, prompt, new_tokens, cached):
    """Funciones sin argumentos que generan new_tokens tokens con decodificación voraz."""
    ctx = models["GPTModel"].cfg["context_length"]

    def hf(name):
        return lambda: models[name].generate(
            prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
            do_sample=False, eos_token_id=None, pad_token_id=None, use_cache=cached)

    if cached:
        ours = {"GPTModel + generate_text_cached": lambda: generate_text_cached(models["GPTModel"], prompt,
                                                                               new_tokens, ctx),
                "FastGPTModel + generate_fast": lambda: generate_fast(models["FastGPTModel"], prompt, new_tokens, ctx)}
    else:
        ours = {"GPTModel + generate_text_simple": lambda: generate_text_simple(models["GPTModel"], prompt,
                                                                                new_tokens, ctx),
                "FastGPTModel + generate_fast(use_cache=False)": lambda: generate_fast(
                    models["FastGPTModel"], prompt, new_tokens, ctx, use_cache=False)}
    return {**ours, "HF eager generate": hf("HF eager"), "HF sdpa generate": hf("HF sdpa")}


# ---------------------------------------------------------------- informe

def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "desconocida"


def bf16_accuracy(models, new_tokens):
    """Mide lo que cuesta en exactitud pasar FastGPTModel a bfloat16: logits y tokens voraces."""
    fast = models["FastGPTModel"]
    cfg = fast.cfg
    fast16 = fast_gpt_from_state_dict({k: v.to(torch.bfloat16) for k, v in _fast_to_gpt_names(fast).items()},
                                      cfg, tie_weights=True)
    prompt = torch.tensor([PROMPT])
    ref = generate_fast(fast, prompt, new_tokens, cfg["context_length"])
    out16 = generate_fast(fast16, prompt, new_tokens, cfg["context_length"])
    with torch.no_grad():  # los dos modelos leen la misma secuencia (la de float32), posición a posición
        logits32 = fast(ref[:, :-1])
        logits16 = fast16(ref[:, :-1]).float()
    same_argmax = (logits32.argmax(-1) == logits16.argmax(-1))[0, len(PROMPT) - 1:].float().mean().item()
    diverge = next((i for i in range(new_tokens) if ref[0, len(PROMPT) + i] != out16[0, len(PROMPT) + i]),
                   new_tokens)
    scale = logits32.abs().max().item()
    return (logits32 - logits16).abs().max().item(), scale, same_argmax, diverge, fast16


def _fast_to_gpt_names(fast):
    """Reconstruye un state_dict con los nombres de GPTModel a partir de un FastGPTModel (solo para bf16)."""
    sd = {}
    for name, t in fast.state_dict().items():
        for new, old in {"norm1.weight": "norm1.scale", "norm1.bias": "norm1.shift",
                         "norm2.weight": "norm2.scale", "norm2.bias": "norm2.shift",
                         "fc.": "ff.layers.0.", "proj.": "ff.layers.2.",
                         "final_norm.weight": "final_norm.scale", "final_norm.bias": "final_norm.shift"}.items():
            name = name.replace(new, old)
        if ".att.W_qkv." in name:
            for part, chunk in zip(("W_query", "W_key", "W_value"), t.chunk(3), strict=True):
                sd[name.replace("W_qkv", part)] = chunk
        else:
            sd[name] = t
    return sd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="versión corta (menos repeticiones y tokens)")
    parser.add_argument("--threads", type=int, default=2, help="hilos de PyTorch (por defecto 2)")
    parser.add_argument("--forward-only", action="store_true", help="solo la multiplicación y las pasadas")
    parser.add_argument("--reps", type=int, default=None, help="repeticiones de las pasadas grandes")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    quick = args.quick
    started = time.perf_counter()
    reps_small, reps_big = (3, 1) if quick else (7, 3)
    if args.reps:
        reps_small, reps_big = max(reps_small, args.reps), args.reps
    forward_shapes = [(1, 128), (1, 1024), (8, 256)]
    # (tokens nuevos, con caché, repeticiones, solo estos modelos). Sin caché el coste crece con el cuadrado
    # de los tokens: 300 sin caché se mide una vez y solo para el par del objetivo (FastGPTModel y HF sdpa).
    generation_plan = [(100, True, 1, None), (30, False, 1, None)] if quick else [
        (100, True, 3, None), (300, True, 3, None), (100, False, 3, None),
        (300, False, 1, ["FastGPTModel + generate_fast(use_cache=False)", "HF sdpa generate"])]

    print(f"# Rendimiento en CPU ({'--quick' if quick else 'completo'})\n")
    print(f"- fecha: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"- CPU: {cpu_name()}, {os.cpu_count()} núcleos visibles; torch.get_num_threads() = "
          f"{torch.get_num_threads()}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"- carga media al empezar (1, 5, 15 min): {os.getloadavg()}\n")

    peak = matmul_gflops(reps=5 if quick else 9)
    print(f"Multiplicación float32 2048³: {peak:.1f} GFLOP/s (mediana): es el 100 % de las tablas.\n")

    times = {}
    if not args.forward_only:
        times, memory = construction(gpt_config_from_hf(hf_config()), reps=1 if quick else 3)
        print("## Construcción del modelo de 124M\n")
        print_table(["cómo", "tiempo (s)", "pico de memoria (MB)"],
                    [[n, f"{t:.2f}", f"{memory[n] / 2**20:.0f}"] for n, t in times.items()])

    cfg, models = build_models()
    with torch.no_grad():
        x = torch.randint(0, cfg["vocab_size"], (2, 64))
        ref = models[HF_REF](x, use_cache=False).logits
        diffs = {name: (fn() - ref).abs().max().item() for name, fn in forward_fns(models, x).items()}
    print("Diferencia máxima de logits frente a HF sdpa (mismos pesos): "
          + ", ".join(f"{n} {d:.1e}" for n, d in diffs.items()) + "\n")

    print("## Pasada hacia delante (logits en todas las posiciones)\n")
    rows, forward_results = [], {}
    for shape in forward_shapes:
        x = torch.randint(0, cfg["vocab_size"], shape)
        reps = reps_small if shape[0] * shape[1] <= 128 else reps_big
        with torch.no_grad():
            med = interleaved(forward_fns(models, x), reps, warmup=not quick or shape == (1, 128))
        forward_results[shape] = med
        flops = forward_flops(cfg, *shape)
        for name, t in med.items():
            gflops = flops / t / 1e9
            rows.append([str(shape), name, f"{t * 1000:.0f}", f"{t / med[HF_REF]:.2f}", f"{gflops:.1f}",
                         f"{100 * gflops / peak:.0f} %"])
    print_table(["forma", "modelo", "ms (mediana)", "× HF sdpa", "GFLOP/s", "% del máximo"], rows)

    if args.forward_only:
        generation_plan = []
    elif not quick:
        print("Pico de memoria durante una pasada (8, 256), por encima de los pesos (MB): "
              + ", ".join(f"{n} {m / 2**20:.0f}" for n, m in _forward_memory(models, cfg).items()) + "\n")

    if generation_plan:
        print("## Generación voraz desde 4 tokens (tokens por segundo)\n")
    prompt = torch.tensor([PROMPT])
    rows, generation_results = [], {}
    for new_tokens, cached, reps, only in generation_plan:
        fns = generation_fns(models, prompt, new_tokens, cached)
        fns = {name: fn for name, fn in fns.items() if only is None or name in only}
        med, outputs = interleaved(fns, reps, warmup=False, keep_outputs=True)
        generation_results[new_tokens, cached] = med
        first = next(iter(outputs.values()))
        agree = all(torch.equal(o, first) for o in outputs.values())
        flops = generation_flops(cfg, len(PROMPT), new_tokens, cached)
        for name, t in med.items():
            gflops = flops / t / 1e9
            rows.append([new_tokens, "sí" if cached else "no", name, f"{new_tokens / t:.1f}",
                         f"{med['HF sdpa generate'] / t:.2f}", f"{gflops:.1f}", f"{100 * gflops / peak:.0f} %",
                         "sí" if agree else "NO"])
    if rows:
        print_table(["tokens", "caché", "generación", "tokens/s", "× HF sdpa (tokens/s)", "GFLOP/s", "% del máximo",
                     "mismos tokens"], rows)

    if not args.forward_only:
        print("## FastGPTModel en bfloat16 (solo inferencia)\n")
        max_diff, scale, same_argmax, diverge, fast16 = bf16_accuracy(models, 100)
        x = torch.randint(0, cfg["vocab_size"], (1, 1024))
        with torch.no_grad():
            med = interleaved({"float32": lambda: models["FastGPTModel"](x), "bfloat16": lambda: fast16(x)},
                              reps_big, warmup=not quick)
        print(f"- diferencia máxima de logits: {max_diff:.3f} (el mayor logit en valor absoluto es {scale:.2f})")
        print(f"- mismo token voraz en {100 * same_argmax:.0f} % de 100 posiciones (leyendo el texto de float32); "
              f"generando, los tokens coinciden hasta el {diverge} de 100")
        print(f"- pasada (1, 1024): float32 {med['float32'] * 1000:.0f} ms, bfloat16 {med['bfloat16'] * 1000:.0f} ms "
              f"({med['bfloat16'] / med['float32']:.2f}×)\n")

    print("## Objetivos (cocientes de esta misma ejecución)\n")
    goals = []
    for shape in [(1, 1024), (8, 256)]:
        ratio = forward_results[shape]["FastGPTModel"] / forward_results[shape]["HF sdpa"]
        goals.append((f"pasada {shape}: FastGPTModel ≤ 0,95 × el tiempo de HF sdpa", f"{ratio:.2f} ×", ratio <= 0.95))
    for (new_tokens, cached), med in generation_results.items():
        for name in med:
            if name.startswith(("GPTModel", "FastGPTModel")):
                # tiempo de la mejor de HF / tiempo nuestro = cociente de tokens por segundo
                best_hf = min(t for n, t in med.items() if n.startswith("HF"))
                ratio = best_hf / med[name]
                goals.append((f"{new_tokens} tokens {'con' if cached else 'sin'} caché: {name} ≥ la mejor de HF",
                              f"{ratio:.2f} ×", ratio >= 1.0))
    if times:
        build = times["fast_gpt_from_state_dict (meta + pesos dados)"]
        goals.append(("construir el modelo de 124M en menos de 1 s (fast_gpt_from_state_dict)", f"{build:.2f} s",
                      build < 1.0))
    print_table(["objetivo", "medido", "¿cumplido?"], [[g, m, "sí" if ok else "NO"] for g, m, ok in goals])

    print(f"Carga media al terminar: {os.getloadavg()}; duración total: {time.perf_counter() - started:.0f} s")


def _forward_memory(models, cfg):
    x = torch.randint(0, cfg["vocab_size"], (8, 256))
    with torch.no_grad():
        return {name: peak_memory(fn)[1] for name, fn in forward_fns(models, x).items()}


if __name__ == "__main__":
    main()
