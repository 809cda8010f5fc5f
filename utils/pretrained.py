# utils/pretrained.py
"""Carga en nuestro GPTModel los pesos preentrenados de GPT-2 publicados por OpenAI.

Los pesos se leen de ficheros safetensors (nunca de pickle, que puede ejecutar código al abrirse):
del Hugging Face Hub con huggingface_hub, o de un fichero o carpeta local que indique quien aprende.
"""

import json
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import getproxies

import torch
from huggingface_hub import constants as hf_constants
from huggingface_hub import hf_hub_download
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from utils.config import GPT_CONFIG_124M, GPT_CONFIG_355M, GPT_CONFIG_774M, GPT_CONFIG_1558M
from utils.gpt import GPTModel
from utils.weights import hf_to_gpt_state_dict

SAFETENSORS_FILENAME = "model.safetensors"

# Tamaño -> (repositorio del Hub, configuración de GPTModel con sesgo en consulta, clave y valor).
GPT2_PRETRAINED = {
    "124M": ("openai-community/gpt2", {**GPT_CONFIG_124M, "qkv_bias": True}),
    "355M": ("openai-community/gpt2-medium", {**GPT_CONFIG_355M, "qkv_bias": True}),
    "774M": ("openai-community/gpt2-large", {**GPT_CONFIG_774M, "qkv_bias": True}),
    "1558M": ("openai-community/gpt2-xl", {**GPT_CONFIG_1558M, "qkv_bias": True}),
}

# Tamaño aproximado de cada model.safetensors (incluye las máscaras causales que guardó OpenAI).
GPT2_FILE_SIZES = {"124M": "550 MB", "355M": "1,5 GB", "774M": "3,3 GB", "1558M": "6,4 GB"}

# Extensiones de ficheros pickle de PyTorch, que no abrimos.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class PretrainedDownloadError(ConnectionError):
    """Error al descargar los pesos del Hub; su mensaje explica cómo conseguirlos sin red."""


def check_gpt2_size(size):
    """Comprueba que size es uno de los cuatro tamaños de GPT-2 y lo devuelve.

    Parámetros:
        size: "124M", "355M", "774M" o "1558M".
    """
    if size not in GPT2_PRETRAINED:
        raise ValueError(f"No hay un GPT-2 de tamaño {size!r}; elige uno de {list(GPT2_PRETRAINED)}.")
    return size


def gpt2_download_url(size, endpoint=None):
    """Devuelve la URL directa del model.safetensors de un tamaño de GPT-2 en el Hub."""
    repo_id = GPT2_PRETRAINED[check_gpt2_size(size)][0]
    endpoint = (endpoint or hf_constants.ENDPOINT).rstrip("/")
    return f"{endpoint}/{repo_id}/resolve/main/{SAFETENSORS_FILENAME}"


def offline_instructions(size):
    """Devuelve, en español, cómo descargar a mano los pesos de un tamaño y cómo cargarlos después."""
    repo_id = GPT2_PRETRAINED[check_gpt2_size(size)][0]
    folder = f"gpt2-{size}"
    return (
        "Para usar los pesos sin conexión:\n"
        f"  1) En un equipo con red, descarga el fichero (unos {GPT2_FILE_SIZES[size]}):\n"
        f"       hf download {repo_id} {SAFETENSORS_FILENAME} --local-dir {folder}\n"
        f"     (con huggingface_hub antiguo: huggingface-cli download {repo_id} {SAFETENSORS_FILENAME} "
        f"--local-dir {folder})\n"
        "     o desde el navegador:\n"
        f"       {gpt2_download_url(size)}\n"
        "  2) Copia la carpeta (o el fichero) a este equipo y pásasela al cargador:\n"
        f'       model = load_pretrained_gpt2("{size}", path="{folder}")'
    )


def hub_is_reachable(endpoint=None, timeout=3.0):
    """Comprueba en pocos segundos si se puede abrir una conexión con el Hub.

    La resolución DNS puede bloquearse más que el timeout del socket, así que la conexión se
    intenta en un hilo aparte y se espera como mucho timeout segundos. Si hay un proxy configurado
    (HTTPS_PROXY), se comprueba el proxy, que es con quien hablará huggingface_hub.

    Parámetros:
        endpoint: URL del Hub (por defecto la de huggingface_hub, que respeta HF_ENDPOINT).
        timeout: segundos de espera como máximo.

    Devuelve:
        (True, "") si hay conexión; (False, motivo) si no.
    """
    url = urlparse(endpoint or hf_constants.ENDPOINT)
    proxy = getproxies().get(url.scheme)  # tras un proxy (HTTPS_PROXY), basta con llegar al proxy
    if proxy:
        url = urlparse(proxy if "://" in proxy else f"http://{proxy}")
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    result = {}

    def connect():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result["ok"] = True
        except OSError as err:
            result["error"] = f"{type(err).__name__}: {err}"

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if result.get("ok"):
        return True, ""
    return False, result.get("error", f"sin respuesta de {host} en {timeout:g} s")


def download_gpt2_safetensors(size="124M", cache_dir=None, timeout=3.0):
    """Devuelve la ruta local del model.safetensors de GPT-2; lo descarga del Hub si no está en caché.

    Sin red falla en segundos con PretrainedDownloadError, cuyo mensaje explica la descarga a mano.

    Parámetros:
        size: "124M", "355M", "774M" o "1558M".
        cache_dir: carpeta de caché de huggingface_hub (por defecto, la suya: ~/.cache/huggingface).
        timeout: segundos que se espera al Hub antes de darlo por inalcanzable.
    """
    repo_id = GPT2_PRETRAINED[check_gpt2_size(size)][0]
    try:  # si ya se descargó antes, no hace falta red
        return hf_hub_download(repo_id, SAFETENSORS_FILENAME, cache_dir=cache_dir, local_files_only=True)
    except FileNotFoundError:
        pass
    if hf_constants.HF_HUB_OFFLINE:
        reason = "el modo sin conexión de Hugging Face está activado (HF_HUB_OFFLINE=1) y no están en caché"
        raise PretrainedDownloadError(f"No se pueden descargar los pesos de GPT-2 {size}: {reason}.\n"
                                      + offline_instructions(size))
    reachable, reason = hub_is_reachable(timeout=timeout)
    if not reachable:
        raise PretrainedDownloadError(
            f"No se pueden descargar los pesos de GPT-2 {size}: no hay conexión con "
            f"{hf_constants.ENDPOINT} ({reason}).\n" + offline_instructions(size)
        )
    try:
        return hf_hub_download(repo_id, SAFETENSORS_FILENAME, cache_dir=cache_dir, etag_timeout=timeout)
    except Exception as err:  # errores de red o HTTP de huggingface_hub (o de httpx, debajo)
        raise PretrainedDownloadError(
            f"No se pudo descargar {SAFETENSORS_FILENAME} de {repo_id}: {type(err).__name__}: {err}\n"
            + offline_instructions(size)
        ) from err


def expected_hf_shapes(cfg):
    """Devuelve {nombre en Hugging Face: forma} de los tensores que debe traer un GPT-2 con esta cfg.

    Los nombres van sin el prefijo "transformer." y sin las máscaras causales (".attn.bias"), que no
    son pesos; "lm_head.weight" es opcional porque GPT-2 comparte esa matriz con "wte.weight".
    """
    E, V, C = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"]
    shapes = {"wte.weight": (V, E), "wpe.weight": (C, E), "ln_f.weight": (E,), "ln_f.bias": (E,)}
    for i in range(cfg["n_layers"]):
        shapes.update({
            f"h.{i}.ln_1.weight": (E,), f"h.{i}.ln_1.bias": (E,),
            f"h.{i}.attn.c_attn.weight": (E, 3 * E), f"h.{i}.attn.c_attn.bias": (3 * E,),
            f"h.{i}.attn.c_proj.weight": (E, E), f"h.{i}.attn.c_proj.bias": (E,),
            f"h.{i}.ln_2.weight": (E,), f"h.{i}.ln_2.bias": (E,),
            f"h.{i}.mlp.c_fc.weight": (E, 4 * E), f"h.{i}.mlp.c_fc.bias": (4 * E,),
            f"h.{i}.mlp.c_proj.weight": (4 * E, E), f"h.{i}.mlp.c_proj.bias": (E,),
        })
    return shapes


def check_gpt2_shapes(file_shapes, cfg):
    """Compara los nombres y formas de un fichero con los que pide cfg y nombra cada diferencia.

    Parámetros:
        file_shapes: {nombre del tensor en el fichero: forma}.
        cfg: configuración de GPTModel (como las de GPT2_PRETRAINED).

    Devuelve:
        nada; lanza ValueError en español con la lista de tensores que faltan, sobran o no cuadran,
        y el tamaño (size) o la configuración que corresponde al fichero.
    """
    found = {}
    for key, shape in file_shapes.items():
        name = key.removeprefix("transformer.")
        if not name.endswith((".attn.bias", ".attn.masked_bias")):
            found[name] = tuple(shape)
    expected = expected_hf_shapes(cfg)
    expected["lm_head.weight"] = (cfg["vocab_size"], cfg["emb_dim"])
    missing = [n for n in expected if n not in found and n != "lm_head.weight"]
    extra = [n for n in found if n not in expected]
    wrong = [f"'{n}' tiene forma {found[n]} y se esperaba {expected[n]}"
             for n in expected if n in found and found[n] != expected[n]]
    problems = []
    if missing:
        verb = "faltan" if len(missing) > 1 else "falta"
        problems.append(f"{verb} {_tensors(len(missing))}: {missing[:5]}")
    if extra:
        verb = "sobran" if len(extra) > 1 else "sobra"
        problems.append(f"{verb} {_tensors(len(extra))} que GPTModel no usa: {extra[:5]}")
    if wrong:
        verb = "no tienen" if len(wrong) > 1 else "no tiene"
        problems.append(f"{_tensors(len(wrong))} {verb} la forma esperada: " + "; ".join(wrong[:5]))
    if problems:
        raise ValueError(
            "Los pesos no corresponden a la configuración elegida "
            f"(emb_dim={cfg['emb_dim']}, n_layers={cfg['n_layers']}, vocab_size={cfg['vocab_size']}, "
            f"context_length={cfg['context_length']}): " + "; ".join(problems) + ". " + _size_hint(found)
        )


def _tensors(n):
    """Devuelve "1 tensor" o "n tensores"."""
    return "1 tensor" if n == 1 else f"{n} tensores"


def _size_hint(found):
    """Devuelve, en español, qué tamaño de GPT-2 (o qué configuración) corresponde a las formas del fichero."""
    for size, (_, cfg) in GPT2_PRETRAINED.items():
        expected = expected_hf_shapes(cfg)
        if {n: s for n, s in found.items() if n != "lm_head.weight"} == expected:
            return f'Este fichero es el GPT-2 de {size}: usa size="{size}".'
    if len(found.get("wte.weight", ())) == 2 and len(found.get("wpe.weight", ())) == 2:
        (vocab_size, emb_dim), context_length = found["wte.weight"], found["wpe.weight"][0]
        n_layers = len({n.split(".")[1] for n in found if n.startswith("h.")})
        return (f"El fichero trae vocab_size={vocab_size}, context_length={context_length}, emb_dim={emb_dim} "
                f"y n_layers={n_layers}: pasa un cfg con esos valores, su n_heads y qkv_bias=True, o la carpeta "
                "con su config.json y sin size.")
    return "¿Es un fichero de GPT-2? Debe traer wte.weight, wpe.weight y los bloques h.0, h.1..."


def resolve_safetensors_path(path):
    """Devuelve la ruta del fichero safetensors a partir de un fichero o de una carpeta que lo contiene.

    Parámetros:
        path: ruta a un fichero .safetensors o a una carpeta con model.safetensors.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        candidate = path / SAFETENSORS_FILENAME
        if not candidate.is_file():
            found = sorted(p.name for p in path.glob("*.safetensors"))
            pickles = sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES)
            if found:
                hint = f"; hay {found}: pasa la ruta del fichero"
            elif pickles:
                hint = (f"; solo hay ficheros pickle ({pickles}), que este cargador no abre: "
                        f"descarga {SAFETENSORS_FILENAME}")
            else:
                hint = ""
            raise FileNotFoundError(f"La carpeta {path} no contiene {SAFETENSORS_FILENAME}{hint}.")
        path = candidate
    if not path.exists():
        raise FileNotFoundError(
            f"No existe {path}; pasa la ruta de un fichero .safetensors o de la carpeta que lo contiene."
        )
    if path.suffix in PICKLE_SUFFIXES:
        raise ValueError(
            f"{path.name} es un fichero pickle de PyTorch, que puede ejecutar código al abrirse; "
            f"este cargador solo lee safetensors: descarga {SAFETENSORS_FILENAME}."
        )
    return path


def config_from_hf_folder(folder):
    """Devuelve la configuración de GPTModel descrita en el config.json de Hugging Face de una carpeta.

    Devuelve None si la carpeta no tiene config.json (por ejemplo, si solo se descargó model.safetensors).
    """
    config_file = Path(folder) / "config.json"
    if not config_file.is_file():
        return None
    hf = json.loads(config_file.read_text(encoding="utf-8"))
    missing = [key for key in ("vocab_size", "n_positions", "n_embd", "n_head", "n_layer") if key not in hf]
    if missing:
        raise ValueError(
            f"{config_file} no describe un GPT-2 (model_type={hf.get('model_type')!r}; le falta {missing}); "
            "pasa size= (por ejemplo size=\"124M\") o cfg= para decir qué modelo es."
        )
    return {
        "vocab_size": hf["vocab_size"],
        "context_length": hf["n_positions"],
        "emb_dim": hf["n_embd"],
        "n_heads": hf["n_head"],
        "n_layers": hf["n_layer"],
        "drop_rate": hf.get("resid_pdrop", 0.1),
        "qkv_bias": True,
    }


def read_gpt2_safetensors(path, cfg):
    """Lee un fichero safetensors de GPT-2 tras comprobar el nombre y la forma de cada tensor.

    Parámetros:
        path: ruta del fichero .safetensors.
        cfg: configuración de GPTModel que deben cumplir los pesos.

    Devuelve:
        diccionario {nombre de Hugging Face: tensor}, listo para hf_to_gpt_state_dict.
    """
    try:
        with safe_open(str(path), framework="pt") as f:  # solo lee la cabecera: nombres y formas
            shapes = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
        check_gpt2_shapes(shapes, cfg)
        return load_file(str(path))
    except SafetensorError as err:
        raise ValueError(
            f"{path} no es un fichero safetensors válido o está incompleto ({err}); "
            "vuelve a descargarlo (una descarga interrumpida deja el fichero cortado)."
        ) from err


def load_pretrained_gpt2(size=None, path=None, cfg=None, cache_dir=None, timeout=3.0):
    """Crea un GPTModel con los pesos preentrenados de GPT-2, del Hub o de una copia local.

    Parámetros:
        size: "124M", "355M", "774M" o "1558M" (por defecto "124M", o lo que diga el config.json de path).
        path: fichero .safetensors o carpeta con model.safetensors; si se da, no se usa la red.
        cfg: configuración explícita de GPTModel (para pesos de otro tamaño; necesita qkv_bias=True).
        cache_dir: carpeta de caché de huggingface_hub, si no se quiere la de por defecto.
        timeout: segundos que se espera al Hub antes de darlo por inalcanzable.

    Devuelve:
        el GPTModel en modo evaluación (model.eval()).
    """
    if size is not None:
        check_gpt2_size(size)
    if path is None:
        file = Path(download_gpt2_safetensors(size or "124M", cache_dir=cache_dir, timeout=timeout))
    else:
        file = resolve_safetensors_path(path)
    if cfg is None and size is None and path is not None:
        cfg = config_from_hf_folder(file.parent)
    if cfg is None:
        cfg = GPT2_PRETRAINED[size or "124M"][1]
    if not cfg.get("qkv_bias", False):
        raise ValueError(f"cfg tiene qkv_bias={cfg.get('qkv_bias')!r}, pero los pesos de GPT-2 traen sesgo en "
                         "consulta, clave y valor: usa {**cfg, 'qkv_bias': True}.")
    hf_tensors = read_gpt2_safetensors(file, cfg)  # comprueba nombres y formas antes de reservar nada más
    with torch.device("meta"):  # sin datos: ni memoria ni tiempo para unos pesos aleatorios que se tirarían
        model = GPTModel(cfg)
    weights = hf_to_gpt_state_dict(hf_tensors, cfg)
    del hf_tensors  # libera la copia leída del fichero antes de seguir
    C = cfg["context_length"]
    for name in model.state_dict():
        if name.endswith(".mask"):  # las máscaras causales no están en el fichero: se crean como en __init__
            weights[name] = torch.triu(torch.ones(C, C), diagonal=1)
    model.load_state_dict(weights, assign=True)  # estricto: cada parámetro y buffer recibe su tensor
    return model.eval()
