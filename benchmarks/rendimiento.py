"""Rendimiento en CPU de GPTModel, FastGPTModel (float32, bfloat16, int8) y GPT2LMHeadModel de Hugging Face,
frente al techo de la máquina medido en la misma ejecución.

Uso, desde la raíz del repositorio (importa el paquete utils como las pruebas):

    python -m benchmarks.rendimiento --quick    # versión corta (menos de 2 minutos en una máquina libre)
    python -m benchmarks.rendimiento            # medida completa (unos minutos)
    python -m benchmarks.rendimiento --compile  # además, torch.compile del paso de generación

Todo se mide en un solo proceso, con los mismos pesos (GPT-2 124M aleatorio: la velocidad no depende de
los valores) y torch.set_num_threads(2). Las repeticiones se intercalan (una de cada variante, y vuelta
a empezar, rotando el orden) y se da la mediana, para que una racha de carga afecte a todas por igual:
los cocientes son lo que hay que mirar, más que los segundos.

FLOPs de una pasada hacia delante (utils.flops.forward_flops): 2·N·tokens + 4·n_layers·T²·emb_dim por
secuencia de T tokens, con N = pesos de las multiplicaciones de matrices (12·n_layers·emb_dim² +
vocab_size·emb_dim). El techo de la generación es ancho de banda / bytes de pesos leídos por token
(utils.roofline).
"""

import copy
import datetime
import os
import platform
import statistics
import sys
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

from utils.cli import CourseArgumentParser, positive_int, run_command
from utils.fast_gpt import FastKVCache, fast_gpt_from_state_dict, generate_fast, onednn_linear_works
from utils.flops import forward_flops
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.kv_cache import generate_text_cached
from utils.quant import quantize_int8
from utils.roofline import decode_ceiling, linear_of_ones, measure_roofline, weight_bytes_per_token
from utils.weights import gpt_config_from_hf, hf_to_gpt_state_dict, load_hf_weights

PROMPT = [6109, 3626, 6100, 345]  # «Every effort moves you» con el tokenizador de GPT-2


def interleaved(contenders, reps, warmup=True):
    """Mide cada función reps veces, intercaladas y rotando el orden; devuelve (medianas, últimos resultados)."""
    names = list(contenders)
    if warmup:
        for name in names:
            contenders[name]()
    times, outputs = {name: [] for name in names}, {}
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            outputs[name] = contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, outputs


def print_table(header, rows):
    """Imprime una tabla en Markdown."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


def build_models():
    """Crea con los mismos pesos: HF (sdpa), GPTModel, y FastGPTModel en float32, bfloat16 e int8."""
    torch.manual_seed(123)
    hf = GPT2LMHeadModel._from_config(GPT2Config(bos_token_id=None, eos_token_id=None, pad_token_id=None),
                                      attn_implementation="sdpa").eval()
    cfg = gpt_config_from_hf(hf.config)
    gpt = load_hf_weights(GPTModel(cfg).eval(), hf.state_dict())
    fast = fast_gpt_from_state_dict(hf_to_gpt_state_dict(hf.state_dict(), cfg), cfg, tie_weights=True)
    return cfg, {"HF": hf, "GPTModel": gpt, "fp32": fast,
                 "bf16": copy.deepcopy(fast).to(torch.bfloat16), "int8": quantize_int8(fast)}


def decoding_fns(models, prompt, new_tokens):
    """Las seis maneras de generar new_tokens tokens voraces, como funciones sin argumentos."""
    ctx = models["GPTModel"].cfg["context_length"]

    def hf_generate():
        return models["HF"].generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=new_tokens,
                                     min_new_tokens=new_tokens, do_sample=False, eos_token_id=None,
                                     pad_token_id=None, use_cache=True)

    return {
        "GPTModel sin caché (generate_text_simple)": lambda: generate_text_simple(models["GPTModel"], prompt,
                                                                                  new_tokens, ctx),
        "GPTModel + generate_text_cached": lambda: generate_text_cached(models["GPTModel"], prompt, new_tokens, ctx),
        "FastGPTModel float32": lambda: generate_fast(models["fp32"], prompt, new_tokens, ctx),
        "FastGPTModel bfloat16": lambda: generate_fast(models["bf16"], prompt, new_tokens, ctx),
        "FastGPTModel int8": lambda: generate_fast(models["int8"], prompt, new_tokens, ctx),
        "Hugging Face generate (caché)": hf_generate,
    }


VARIANT_MODEL = {"GPTModel sin caché (generate_text_simple)": "GPTModel", "GPTModel + generate_text_cached": "GPTModel",
                 "FastGPTModel float32": "fp32", "FastGPTModel bfloat16": "bf16", "FastGPTModel int8": "int8",
                 "Hugging Face generate (caché)": "HF"}


def accuracy(reference, model, ref_tokens, prompt_len):
    """Coste en exactitud frente a float32 con los mismos pesos, sobre el texto generado en float32:
    diferencia máxima de logits, fracción de posiciones con el mismo token voraz, y cuántos tokens
    coinciden al generar con model antes de la primera diferencia."""
    new_tokens = ref_tokens.shape[1] - prompt_len
    with torch.inference_mode():
        logits32 = reference(ref_tokens[:, :-1])
        logits = model(ref_tokens[:, :-1]).float()
    diff = (logits - logits32).abs().max().item()
    agree = (logits.argmax(-1) == logits32.argmax(-1))[0, prompt_len - 1:].float().mean().item()
    out = generate_fast(model, ref_tokens[:, :prompt_len], new_tokens, reference.cfg["context_length"])
    differ = (out[0, prompt_len:] != ref_tokens[0, prompt_len:]).nonzero()
    first = differ[0, 0].item() if len(differ) else new_tokens
    return diff, logits32.abs().max().item(), agree, first


def profile_decode_step(model, steps=10, top=8):
    """Perfila pasos de generación de un token con la caché llena de 64 posiciones; imprime los operadores
    que más tiempo propio se llevan."""
    from torch.profiler import ProfilerActivity, profile

    cache = FastKVCache(len(model.trf_blocks), model.cfg["context_length"])
    with torch.inference_mode():
        model.logits(torch.zeros(1, 64, dtype=torch.long), cache, only_last=True)
        token = torch.zeros(1, 1, dtype=torch.long)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                model.logits(token, cache, only_last=True)  # el paso de generate_fast
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    rows = [[e.key, e.count // steps, f"{e.self_cpu_time_total / steps / 1000:.2f}",
             f"{100 * e.self_cpu_time_total / total:.0f} %"] for e in events[:top]]
    print_table(["operador", "llamadas por paso", "ms por paso", "del total"], rows)
    return total / steps / 1e6  # segundos por paso


def matvec_by_shape(cfg, total_mib=256, reps=3):
    """Velocidad de lectura de FastLinear (matriz × vector) con cada forma de matriz de GPT-2.

    Para cada forma se multiplican, una tras otra, tantas matrices distintas como quepan en total_mib
    (más que la caché L3), como al generar: cada matriz se lee de memoria una sola vez por vuelta.
    Devuelve filas [forma, MiB por matriz, µs por matriz, GB/s].
    """
    d, v = cfg["emb_dim"], cfg["vocab_size"]
    rows = []
    for out_f, in_f in [(d, d), (3 * d, d), (4 * d, d), (d, 4 * d), (v, d)]:
        mib = out_f * in_f * 4 / 2**20
        linears = [linear_of_ones(in_f, out_f) for _ in range(max(1, round(total_mib / mib)))]
        x = torch.ones(1, 1, in_f)
        with torch.inference_mode():
            med, _ = interleaved({"vuelta": lambda x=x, linears=linears: [linear(x) for linear in linears]}, reps)
        seconds = med["vuelta"] / len(linears)
        rows.append([f"({out_f}, {in_f})", f"{mib:.2f}", f"{seconds * 1e6:.0f}",
                     f"{out_f * in_f * 4 / seconds / 1e9:.1f}"])
    return rows


def try_compile(model, prompt, new_tokens):
    """Mide torch.compile del paso de generación: tiempo de compilar y tokens/s; None si no se puede."""
    try:
        compiled = copy.copy(model)
        compiled.logits = torch.compile(model.logits, dynamic=True)  # el paso que llama generate_fast
        start = time.perf_counter()
        generate_fast(compiled, prompt, 4, model.cfg["context_length"])
        compile_s = time.perf_counter() - start
    except Exception as error:  # sin compilador de C++ u otro fallo: se sigue sin compilar
        print(f"torch.compile no disponible ({type(error).__name__}: {str(error)[:120]}); se usa el modo normal.\n")
        return None
    med, _ = interleaved({"compilado": lambda: generate_fast(compiled, prompt, new_tokens, model.cfg["context_length"]),
                          "normal": lambda: generate_fast(model, prompt, new_tokens, model.cfg["context_length"])}, 3)
    return compile_s, new_tokens / med["compilado"], new_tokens / med["normal"]


def print_header(roof, quick):
    """Imprime las condiciones de la ejecución: fecha, CPU, versiones, GPU y carga de la máquina."""
    cpu = roof.cpu
    print(f"# Rendimiento en CPU ({'--quick' if quick else 'completo'})\n")
    print(f"- fecha: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"- CPU: {cpu['name']}, {os.cpu_count()} núcleos visibles, torch.get_num_threads() = "
          f"{torch.get_num_threads()}; PyTorch usa {cpu['torch_capability']}; extensiones: {', '.join(cpu['flags'])}; "
          f"bfloat16 por hardware: {'sí' if cpu['native_bf16'] else 'no'}; oneDNN en FastLinear: float32 "
          f"{'sí' if onednn_linear_works(torch.float32) else 'no'}, bfloat16 "
          f"{'sí' if onednn_linear_works(torch.bfloat16) else 'no'}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    gpu = "disponible pero no medida" if torch.cuda.is_available() else "ninguna (el camino cuda no se ha ejecutado)"
    print(f"- GPU: {gpu}")
    print(f"- carga media al empezar (1, 5, 15 min): {tuple(round(x, 2) for x in os.getloadavg())}\n")


def roofline_section(roof):
    """Imprime el techo de la máquina: ancho de banda, matriz × vector y multiplicación de matrices."""
    print("## Techo de la máquina\n")
    bf16_text = f"{roof.bf16_flops / 1e9:.0f} GFLOP/s" if roof.bf16_flops else "no medido (sin bfloat16 por hardware)"
    print(f"- leer memoria (suma de 256 MiB float32): {roof.bandwidth / 1e9:.1f} GB/s")
    print(f"- matriz × vector float32 (256 MiB): {roof.matvec_bandwidth / 1e9:.1f} GB/s con oneDNN (FastLinear), "
          f"{roof.mkl_matvec_bandwidth / 1e9:.1f} GB/s con MKL (F.linear)")
    print(f"- multiplicación de matrices (la mejor de MKL y oneDNN): float32 {roof.fp32_flops / 1e9:.0f} GFLOP/s; "
          f"bfloat16 {bf16_text}\n")


def forward_section(models, cfg, roof, quick):
    """Mide la pasada hacia delante con dos formas de lote; devuelve {(batch, tokens): {modelo: segundos}}."""
    print("## Pasada hacia delante (logits en todas las posiciones)\n")
    rows, forward = [], {}
    for batch, tokens in [(1, 1024), (8, 256)]:
        x = torch.randint(0, cfg["vocab_size"], (batch, tokens))
        fns = {"FastGPTModel": lambda x=x: models["fp32"](x),
               "HF sdpa": lambda x=x: models["HF"](x, use_cache=False).logits}
        if not quick:
            fns["GPTModel"] = lambda x=x: models["GPTModel"](x)
        with torch.inference_mode():  # la primera forma calienta; la segunda ya no lo necesita
            med, _ = interleaved(fns, 2 if quick else 3, warmup=(batch, tokens) == (1, 1024))
        forward[batch, tokens] = med
        flops = forward_flops(cfg, tokens, batch)
        for name, t in med.items():
            rows.append([f"({batch}, {tokens})", name, f"{t * 1000:.0f}", f"{t / med['HF sdpa']:.2f}",
                         f"{flops / t / 1e9:.0f}", f"{100 * flops / t / roof.fp32_flops:.0f} %"])
    print_table(["forma", "modelo", "ms (mediana)", "× HF sdpa (tiempo)", "GFLOP/s", "del matmul float32"], rows)
    return forward


def bf16_forward_section(models, cfg, roof, quick):
    """Compara la pasada (1, 1024) en bfloat16 y en float32 si la CPU hace bfloat16 por hardware; devuelve
    el cociente de tiempos (None si no se mide)."""
    if not roof.cpu["native_bf16"]:
        return None
    x = torch.randint(0, cfg["vocab_size"], (1, 1024))
    with torch.inference_mode():
        models["bf16"](x[:, :16])  # calentamiento corto de bfloat16
        med, _ = interleaved({"float32": lambda: models["fp32"](x), "bfloat16": lambda: models["bf16"](x)},
                             2 if quick else 3, warmup=False)
    ratio = med["bfloat16"] / med["float32"]
    print(f"Pasada (1, 1024) de FastGPTModel: float32 {med['float32'] * 1000:.0f} ms, bfloat16 "
          f"{med['bfloat16'] * 1000:.0f} ms ({ratio:.2f} × el tiempo de float32).\n")
    return ratio


def decode_section(models, roof, prompt, new_tokens, reps):
    """Mide las seis maneras de generar; devuelve ({variante: (tokens/s, techo)}, {variante: mismos tokens})."""
    print(f"## Generación voraz de {new_tokens} tokens desde {prompt.shape[1]} (un solo texto)\n")
    for warm in decoding_fns(models, prompt, 2).values():  # calentamiento corto
        warm()
    med, outputs = interleaved(decoding_fns(models, prompt, new_tokens), reps, warmup=False)
    fp32_out = outputs["FastGPTModel float32"]
    same = {name: torch.equal(out, fp32_out) for name, out in outputs.items()}
    cached = prompt.shape[1] + new_tokens // 2  # posiciones medias en la caché durante la generación
    rows, decode = [], {}
    for name, t in med.items():
        model = models[VARIANT_MODEL[name]]
        kv_bytes = 2 if name.endswith("bfloat16") else 4
        ceiling = decode_ceiling(roof.bandwidth, weight_bytes_per_token(model, cached, kv_bytes))
        decode[name] = (new_tokens / t, ceiling)
        rows.append([name, f"{weight_bytes_per_token(model) / 2**20:.0f}", f"{new_tokens / t:.1f}",
                     f"{med['Hugging Face generate (caché)'] / t:.2f}", f"{ceiling:.0f}",
                     f"{100 * new_tokens / t / ceiling:.0f} %", "sí" if same[name] else "no"])
    print_table(["generación", "MiB leídos por token", "tokens/s", "× HF (tokens/s)", "techo (tokens/s)",
                 "del techo", "mismos tokens que float32"], rows)
    return decode, same


def accuracy_section(models, cfg, prompt):
    """Imprime el coste en exactitud de bfloat16 e int8 frente a float32 con los mismos pesos."""
    print("## Coste en exactitud frente a float32 (mismos pesos, 100 tokens generados en float32)\n")
    rows = []
    ref_tokens = generate_fast(models["fp32"], prompt, 100, cfg["context_length"])
    for name in ("bf16", "int8"):
        diff, scale, agree, first = accuracy(models["fp32"], models[name], ref_tokens, prompt.shape[1])
        rows.append([{"bf16": "bfloat16", "int8": "int8 (solo pesos)"}[name], f"{diff:.3f}", f"{scale:.2f}",
                     f"{100 * agree:.0f} %", f"{first} de 100"])
    print_table(["variante", "diferencia máxima de logits", "mayor |logit| en float32",
                 "mismo token voraz (texto de float32)", "generando, iguales hasta"], rows)
    print("Con pesos aleatorios los logits son casi planos; con pesos entrenados la diferencia absoluta es mayor.\n")


def profile_section(models, roof):
    """Imprime el perfil de un paso de generación de FastGPTModel float32 y lo compara con leer sus pesos."""
    print("## Dónde se va el tiempo de un paso de FastGPTModel float32 (torch.profiler, caché de 64 posiciones)\n")
    step_s = profile_decode_step(models["fp32"])
    weight_bytes = weight_bytes_per_token(models["fp32"])
    print(f"Tiempo propio total por paso (con el perfilador): {step_s * 1000:.1f} ms; leer los "
          f"{weight_bytes / 2**20:.0f} MiB de pesos al ancho de banda medido serían "
          f"{weight_bytes / roof.bandwidth * 1000:.1f} ms.\n")


def shapes_section(cfg, roof):
    """Imprime la velocidad de FastLinear (matriz × vector) con cada forma de matriz de GPT-2."""
    print("## Matriz × vector con FastLinear según la forma de la matriz (float32)\n")
    print_table(["forma (salida, entrada)", "MiB por matriz", "µs por matriz", "GB/s"], matvec_by_shape(cfg))
    print(f"Las matrices pequeñas se leen más despacio que la de 256 MiB del techo "
          f"({roof.matvec_bandwidth / 1e9:.1f} GB/s): cada multiplicación tiene un coste fijo (preparar el kernel "
          f"y repartirlo entre los hilos) y la lectura tarda en alcanzar su ritmo.\n")


def compile_section(models, prompt, new_tokens):
    """Imprime lo que da torch.compile en el paso de generación de FastGPTModel float32."""
    print("## torch.compile del paso de generación (FastGPTModel float32)\n")
    result = try_compile(models["fp32"], prompt, new_tokens)
    if result:
        compile_s, tok_c, tok_e = result
        print(f"- compilar: {compile_s:.0f} s; tokens/s compilado {tok_c:.1f} frente a {tok_e:.1f} sin compilar "
              f"({tok_c / tok_e:.2f} ×)\n")


def goals_section(cfg, roof, decode, same, forward, bf16_forward, elapsed, quick):
    """Imprime la tabla de objetivos, cada uno con lo medido en esta ejecución y si se cumple."""
    hf_tok = decode["Hugging Face generate (caché)"][0]
    fp32_tok, fp32_ceiling = decode["FastGPTModel float32"]
    int8_tok = decode["FastGPTModel int8"][0]
    goals = [
        ("FastGPTModel float32 con caché ≥ 1,5 × Hugging Face generate (tokens/s)", f"{fp32_tok / hf_tok:.2f} ×",
         fp32_tok / hf_tok >= 1.5),
        ("FastGPTModel float32 con caché ≥ 70 % del techo de ancho de banda", f"{100 * fp32_tok / fp32_ceiling:.0f} %",
         fp32_tok / fp32_ceiling >= 0.7),
        ("FastGPTModel int8 ≥ 3 × Hugging Face float32 (tokens/s)", f"{int8_tok / hf_tok:.2f} ×",
         int8_tok / hf_tok >= 3),
    ]
    for shape, med in forward.items():
        ratio = med["FastGPTModel"] / med["HF sdpa"]
        goals.append((f"pasada {shape}: FastGPTModel más rápido que HF sdpa (tiempo)", f"{ratio:.2f} ×", ratio < 1))
        share = forward_flops(cfg, shape[1], shape[0]) / med["FastGPTModel"] / roof.fp32_flops
        goals.append((f"pasada {shape}: FastGPTModel ≥ 90 % del matmul float32", f"{100 * share:.0f} %", share >= 0.9))
    if bf16_forward is not None:
        goals.append(("pasada (1, 1024) en bfloat16 más rápida que en float32 (tiempo)", f"{bf16_forward:.2f} ×",
                      bf16_forward < 1))
    goals.append(("la ejecución --quick entera en menos de 2 minutos", f"{elapsed:.0f} s", quick and elapsed < 120))
    float32_same = all(same[n] for n in decode if "bfloat16" not in n and "int8" not in n)
    goals.append(("mismos tokens voraces en float32 (GPTModel con y sin caché, FastGPTModel, HF)",
                  "sí" if float32_same else "no", float32_same))
    print("## Objetivos (cocientes de esta misma ejecución)\n")
    print_table(["objetivo", "medido", "¿cumplido?"], [[g, m, "sí" if ok else "NO"] for g, m, ok in goals])


def main(argv=None):
    parser = CourseArgumentParser("python -m benchmarks.rendimiento", __doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="versión corta (menos repeticiones y tokens)")
    parser.add_argument("--threads", type=positive_int, default=2, help="hilos de PyTorch")
    parser.add_argument("--compile", action="store_true", help="mide también torch.compile (tarda minutos)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    started = time.perf_counter()
    quick = args.quick

    roof = measure_roofline(quick=quick)
    print_header(roof, quick)
    roofline_section(roof)
    cfg, models = build_models()
    prompt = torch.tensor([PROMPT])
    forward = forward_section(models, cfg, roof, quick)
    bf16_forward = bf16_forward_section(models, cfg, roof, quick)
    decode, same = decode_section(models, roof, prompt, 32 if quick else 100, 3 if quick else 5)
    accuracy_section(models, cfg, prompt)
    profile_section(models, roof)
    shapes_section(cfg, roof)
    if args.compile:
        compile_section(models, prompt, 32 if quick else 100)
    elapsed = time.perf_counter() - started
    goals_section(cfg, roof, decode, same, forward, bf16_forward, elapsed, quick)
    print(f"Carga media al terminar: {tuple(round(x, 2) for x in os.getloadavg())}; duración total: {elapsed:.0f} s")


if __name__ == "__main__":
    sys.exit(run_command(main))
