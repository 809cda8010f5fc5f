"""Descarga del model.safetensors de GPT-2 del Hugging Face Hub: falla en segundos, con instrucciones, sin red.

Es fontanería de red (caché, proxy, tiempos de espera); lo que enseña a cargar los pesos está en
utils/pretrained.py.
"""

import socket
import threading
from urllib.parse import urlparse
from urllib.request import getproxies

from huggingface_hub import constants as hf_constants
from huggingface_hub import hf_hub_download

from utils.config import GPT2_SIZES
from utils.flops import count_parameters

SAFETENSORS_FILENAME = "model.safetensors"


class PretrainedDownloadError(ConnectionError):
    """Error al descargar los pesos del Hub; su mensaje explica cómo conseguirlos sin red."""


def check_gpt2_size(size):
    """Comprueba que size es uno de los cuatro tamaños de GPT-2 y devuelve su nombre corto.

    Parámetros:
        size: "124M", "355M", "774M" o "1558M" (o el nombre del libro: "gpt2-small (124M)", ...).
    """
    long_names = {entry["name"]: short for short, entry in GPT2_SIZES.items()}
    if size not in GPT2_SIZES and size not in long_names:
        raise ValueError(f"No hay un GPT-2 de tamaño {size!r}; elige uno de {list(GPT2_SIZES)}.")
    return long_names.get(size, size)


def gpt2_file_size(size):
    """Devuelve lo que ocupa el model.safetensors de un tamaño de GPT-2 en el Hub, como texto ("523 MiB").

    Son los parámetros publicados (con pesos compartidos y sesgo en consulta, clave y valor) en float32, más
    la máscara causal de context_length² números que la conversión a PyTorch guardó en cada bloque.
    """
    cfg = {**GPT2_SIZES[check_gpt2_size(size)]["cfg"], "qkv_bias": True}
    n_bytes = 4 * (count_parameters(cfg, weight_tying=True) + cfg["n_layers"] * cfg["context_length"] ** 2)
    if n_bytes < 2**30:
        return f"{n_bytes / 2**20:.0f} MiB"
    return f"{n_bytes / 2**30:.1f} GiB".replace(".", ",")


def gpt2_download_url(size, endpoint=None):
    """Devuelve la URL directa del model.safetensors de un tamaño de GPT-2 en el Hub."""
    repo_id = GPT2_SIZES[check_gpt2_size(size)]["repo"]
    endpoint = (endpoint or hf_constants.ENDPOINT).rstrip("/")
    return f"{endpoint}/{repo_id}/resolve/main/{SAFETENSORS_FILENAME}"


def offline_instructions(size):
    """Devuelve, en español, cómo descargar a mano los pesos de un tamaño y cómo cargarlos después."""
    size = check_gpt2_size(size)
    repo_id = GPT2_SIZES[size]["repo"]
    folder = f"gpt2-{size}"
    return (
        "Para usar los pesos sin conexión:\n"
        f"  1) En un equipo con red, descarga el fichero (unos {gpt2_file_size(size)}):\n"
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
        size: "124M", "355M", "774M" o "1558M" (o el nombre del libro, "gpt2-small (124M)"...).
        cache_dir: carpeta de caché de huggingface_hub (por defecto, la suya: ~/.cache/huggingface).
        timeout: segundos que se espera al Hub antes de darlo por inalcanzable.
    """
    size = check_gpt2_size(size)
    repo_id = GPT2_SIZES[size]["repo"]
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
