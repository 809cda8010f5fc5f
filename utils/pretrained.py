# utils/pretrained.py
"""Carga en nuestro GPTModel los pesos preentrenados de GPT-2 publicados por OpenAI, y guarda los nuestros igual.

Los pesos se leen de ficheros safetensors (nunca de pickle, que puede ejecutar código al abrirse): del
Hugging Face Hub (la descarga está en utils/hub.py) o de un fichero o carpeta local. Los pasos:
localizar el fichero, decidir la configuración, comprobar la cabecera (nombres y formas) antes de leer
nada más, traducir los nombres (utils/weights.py) y asignar los tensores a un modelo creado sin datos.
save_gpt2_safetensors hace el camino inverso: guarda un GPTModel como los ficheros de GPT-2 del Hub.
"""

import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from utils import weights
from utils.attention import MultiHeadAttention
from utils.gpt import GPTModel
from utils.hub import SAFETENSORS_FILENAME, check_gpt2_size, download_gpt2_safetensors

# Extensiones de ficheros pickle de PyTorch, que no abrimos.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


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
    try:
        return weights.gpt_config_from_hf(json.loads(config_file.read_text(encoding="utf-8")))
    except ValueError as err:
        raise ValueError(f"{config_file}: {err}") from None


def read_gpt2_safetensors(path, cfg):
    """Lee un fichero safetensors de GPT-2 tras comprobar el nombre y la forma de cada tensor.

    Parámetros:
        path: ruta del fichero .safetensors.
        cfg: configuración de GPTModel que deben cumplir los pesos.

    Devuelve:
        diccionario {nombre de Hugging Face: tensor}, listo para weights.hf_to_gpt_state_dict.
    """
    try:
        with safe_open(str(path), framework="pt") as f:  # solo lee la cabecera: nombres y formas
            shapes = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
        weights.check_hf_shapes(shapes, cfg)
        return load_file(str(path))
    except SafetensorError as err:
        raise ValueError(
            f"{path} no es un fichero safetensors válido o está incompleto ({err}); "
            "vuelve a descargarlo (una descarga interrumpida deja el fichero cortado)."
        ) from err


def load_pretrained_gpt2(size=None, path=None, cfg=None, cache_dir=None, timeout=3.0):
    """Crea un GPTModel con los pesos preentrenados de GPT-2, del Hub o de una copia local.

    Parámetros:
        size: "124M", "355M", "774M" o "1558M" (por defecto "124M", o lo que diga el config.json de path);
            también vale el nombre del libro, "gpt2-small (124M)"...
        path: fichero .safetensors o carpeta con model.safetensors; si se da, no se usa la red.
        cfg: configuración explícita de GPTModel (para pesos de otro tamaño; necesita qkv_bias=True).
        cache_dir: carpeta de caché de huggingface_hub, si no se quiere la de por defecto.
        timeout: segundos que se espera al Hub antes de darlo por inalcanzable.

    Devuelve:
        el GPTModel en modo evaluación (model.eval()).
    """
    if size is not None:
        size = check_gpt2_size(size)
    if path is None:
        file = Path(download_gpt2_safetensors(size or "124M", cache_dir=cache_dir, timeout=timeout))
    else:
        file = resolve_safetensors_path(path)
    if cfg is None and size is None and path is not None:
        cfg = config_from_hf_folder(file.parent)
    if cfg is None:
        cfg = weights.published_config(size or "124M")
    weights.check_qkv_bias(cfg)
    hf_tensors = read_gpt2_safetensors(file, cfg)  # comprueba nombres y formas antes de reservar nada más
    with torch.device("meta"):  # sin datos: ni memoria ni tiempo para unos pesos aleatorios que se descartarían
        model = GPTModel(cfg)
    state_dict = weights.hf_to_gpt_state_dict(hf_tensors, cfg)  # nuestros nombres y formas
    del hf_tensors  # libera la copia leída del fichero antes de seguir
    # Las máscaras causales no se leen del fichero: las crea MultiHeadAttention, igual que en GPTModel(cfg).
    mask = MultiHeadAttention(1, 1, cfg["context_length"], dropout=0.0, num_heads=1).mask
    for name in model.state_dict():
        if name.endswith(".mask"):
            state_dict[name] = mask.clone()
    model.load_state_dict(state_dict, assign=True)  # estricto: cada parámetro y buffer recibe su tensor
    return model.eval()


def save_gpt2_safetensors(model, folder):
    """Guarda un GPTModel como se publican los GPT-2 en el Hub: model.safetensors y config.json en folder.

    Los tensores llevan los nombres y las formas de Hugging Face (weights.gpt_to_hf_state_dict), así que la
    carpeta se carga con load_pretrained_gpt2(path=folder) y con GPT2LMHeadModel.from_pretrained(folder).

    Parámetros:
        model: el GPTModel que se guarda (de cualquier tamaño, con o sin sesgo en consulta, clave y valor).
        folder: carpeta de destino; se crea si no existe.

    Devuelve:
        la ruta de la carpeta (Path).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    hf_tensors = weights.gpt_to_hf_state_dict(model.state_dict(), model.cfg)
    save_file(hf_tensors, str(folder / SAFETENSORS_FILENAME), metadata={"format": "pt"})  # "pt": de PyTorch
    hf_config = weights.hf_config_from_gpt(model.cfg, tie_weights="lm_head.weight" not in hf_tensors)
    (folder / "config.json").write_text(json.dumps(hf_config, indent=2) + "\n", encoding="utf-8")
    return folder
