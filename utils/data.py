# utils/data.py
"""Datos para entrenar: el corpus del curso, un vocabulario compacto y ventanas (entrada, objetivo).

El corpus se extrae una vez, con una orden, y se guarda en el repositorio; entrenar solo lo lee:

    python -m utils.data

Así, editar una lección no cambia en silencio lo que aprende el modelo.
"""

import json
import os
import re
from numbers import Real
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from utils.checks import check_compact_ids, check_positive_int, check_token_sequence

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PATH = ROOT / "data" / "corpus_curso.txt"
# Lecciones 1 a 9 y los extras: la prosa que el curso escribe. Las soluciones son casi solo código y el
# notebook 10 es el que entrena, así que no entran (el corpus no depende de la lección que lo usa).
CORPUS_NOTEBOOKS = ("notebooks/[1-9]_*.ipynb", "notebooks/extra/*.ipynb")
EOT_ID = 50256  # <|endoftext|> en GPT-2: separa un notebook del siguiente


def markdown_prose(source):
    """Limpia el markdown de una celda y deja la prosa: fuera figuras, botones y direcciones de enlaces.

    Parámetros:
        source: texto markdown de una celda.

    Devuelve:
        el texto limpio, sin líneas vacías al principio ni al final.
    """
    text = re.sub(r"<img[^>]*>", "", source)  # figuras: su texto alternativo describe una imagen
    text = re.sub(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)", "", text)  # botón «Abrir en Colab»
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # [texto](dirección) -> texto
    text = re.sub(r"<[^>]+>", "", text)  # otras etiquetas HTML
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def extract_course_text(root=ROOT, patterns=CORPUS_NOTEBOOKS):
    """Junta la prosa (celdas markdown) de los notebooks del curso en un solo texto.

    Parámetros:
        root: carpeta raíz del repositorio.
        patterns: patrones glob, relativos a root, de los notebooks que se leen, en este orden.

    Devuelve:
        el texto; cada notebook termina con <|endoftext|>, como separa GPT-2 sus documentos.
    """
    root = Path(root)
    parts = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = [markdown_prose("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "markdown"]
            parts.append("\n\n".join(c for c in cells if c) + "\n<|endoftext|>\n")
    return "".join(parts)


def read_corpus(path):
    """Lee un fichero de texto UTF-8 para entrenar, con errores en español si no sirve.

    Parámetros:
        path: ruta del fichero (str o Path).

    Devuelve:
        el texto del fichero.
    """
    path = Path(path)
    if not path.is_file():
        hint = " Créalo con: python -m utils.data" if path.name == CORPUS_PATH.name else ""
        raise FileNotFoundError(f"No existe el fichero de corpus {str(path)!r}; comprueba la ruta.{hint}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"El corpus {str(path)!r} no está en UTF-8 (byte {raw[err.start]:#04x} en la posición {err.start}); "
            "guárdalo como UTF-8, por ejemplo con: iconv -f latin1 -t utf-8 viejo.txt > nuevo.txt"
        ) from None
    if not text.strip():
        raise ValueError(f"El corpus {str(path)!r} está vacío; usa un fichero con texto.")
    return text


class CompactTokenizer:
    """Tokenizador BPE de GPT-2 con un vocabulario reducido a los tokens que aparecen en un corpus.

    Corta el texto exactamente como GPT-2 y luego renumera los ids: el id compacto i corresponde al id
    gpt2_ids[i] de GPT-2. El id 0 es siempre <|endoftext|>. Un token que el corpus nunca vio se escribe
    con los tokens de sus bytes: from_text añade al vocabulario los 256 tokens de un byte de GPT-2, así
    que cualquier texto se codifica sin perder nada (decode(encode(texto)) == texto).

    Parámetros:
        gpt2_tokenizer: tiktoken.get_encoding("gpt2").
        gpt2_ids: ids de GPT-2 que forman el vocabulario (p. ej. los del corpus y los de un byte).
    """

    def __init__(self, gpt2_tokenizer, gpt2_ids):
        self.gpt2 = gpt2_tokenizer
        self.gpt2_ids = [EOT_ID] + sorted(set(int(i) for i in gpt2_ids) - {EOT_ID})
        self.to_compact = {g: c for c, g in enumerate(self.gpt2_ids)}
        self.n_vocab = len(self.gpt2_ids)
        self.eot_id = 0

    @classmethod
    def from_text(cls, gpt2_tokenizer, text):
        """Crea el tokenizador con los tokens de GPT-2 que aparecen en text y los 256 de un byte."""
        ids = gpt2_tokenizer.encode(text, allowed_special={"<|endoftext|>"})
        return cls(gpt2_tokenizer, [*ids, *byte_token_ids(gpt2_tokenizer)])

    def encode(self, text, allowed_special=frozenset({"<|endoftext|>"})):
        """Convierte texto en ids compactos (una lista de enteros en [0, n_vocab)).

        Un token de GPT-2 que no está en el vocabulario compacto se sustituye por los tokens de sus bytes.
        """
        ids = []
        for gpt2_id in self.gpt2.encode(text, allowed_special=allowed_special):
            if gpt2_id in self.to_compact:
                ids.append(self.to_compact[gpt2_id])
            else:
                ids.extend(self._bytes_to_compact(gpt2_id))
        return ids

    def decode(self, ids):
        """Convierte ids compactos (una lista o un tensor 1-D) en texto."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        check_compact_ids(ids, self.n_vocab)
        return self.gpt2.decode([self.gpt2_ids[i] for i in ids])

    def _bytes_to_compact(self, gpt2_id):
        """Devuelve los ids compactos de los tokens de un byte que escriben el token gpt2_id."""
        data = self.gpt2.decode_single_token_bytes(gpt2_id)
        byte_ids = [self.to_compact.get(self.gpt2.encode_single_token(bytes([b]))) for b in data]
        if None in byte_ids:
            piece = data.decode("utf-8", errors="replace")
            raise ValueError(
                f"El texto contiene {piece!r}, que no está en el vocabulario compacto, y este vocabulario no "
                "tiene los tokens de un byte con los que escribirlo; crea el tokenizador con "
                "CompactTokenizer.from_text(tokenizer, corpus), que los incluye."
            )
        return byte_ids


def byte_token_ids(gpt2_tokenizer):
    """Devuelve los ids de GPT-2 de los 256 tokens de un solo byte, con los que se escribe cualquier texto."""
    return [gpt2_tokenizer.encode_single_token(bytes([b])) for b in range(256)]


class GPTDataset(Dataset):
    """Ventanas de context_length tokens y su objetivo, la misma ventana desplazada un token.

    Parámetros:
        token_ids: lista o tensor 1-D de ids.
        context_length: tokens por ventana.
        stride: cuántos tokens avanza cada ventana respecto a la anterior (= context_length: sin solaparse).

    Forma:
        cada elemento es (input_ids, target_ids), dos tensores (context_length,) de enteros.
    """

    def __init__(self, token_ids, context_length, stride):
        check_token_sequence(token_ids)
        check_positive_int("context_length", context_length)
        check_positive_int("stride", stride)
        self.token_ids = torch.as_tensor(token_ids, dtype=torch.long)
        if len(self.token_ids) < context_length + 1:
            raise ValueError(
                f"El texto tiene {len(self.token_ids)} tokens y una ventana necesita context_length + 1 = "
                f"{context_length + 1} (la entrada y el objetivo desplazado); usa un corpus más largo o un "
                "context_length menor."
            )
        self.context_length = context_length
        self.starts = range(0, len(self.token_ids) - context_length, stride)

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, i):
        start = self.starts[i]
        chunk = self.token_ids[start:start + self.context_length + 1]
        return chunk[:-1], chunk[1:]  # el objetivo de cada posición es el token siguiente


def split_token_ids(token_ids, val_fraction=0.1):
    """Parte los ids en entrenamiento (el principio) y validación (el final), sin mezclarlos.

    Las ventanas se cortan después, dentro de cada parte, así que ninguna cruza el corte.

    Parámetros:
        token_ids: lista o tensor 1-D de ids.
        val_fraction: fracción del final que va a validación, en (0, 1).

    Devuelve:
        (train_ids, val_ids), dos tensores 1-D.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, Real) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction debe estar entre 0 y 1 (sin incluirlos), y vale {val_fraction!r}; p. ej. 0.1.")
    token_ids = torch.as_tensor(token_ids, dtype=torch.long)
    split = int(len(token_ids) * (1 - val_fraction))
    return token_ids[:split], token_ids[split:]


def create_dataloaders(token_ids, context_length, batch_size, stride=None, val_fraction=0.1, seed=123,
                       num_replicas=1, rank=0):
    """Crea los DataLoader de entrenamiento y validación.

    El de entrenamiento baraja con un DistributedSampler: con num_replicas=1 es un barajado normal, y
    con varios procesos cada uno recibe su parte del mismo orden (el lote global es el mismo).

    Parámetros:
        token_ids: ids del corpus entero.
        context_length: tokens por ventana.
        batch_size: ventanas por lote en cada proceso.
        stride: avance entre ventanas; por defecto context_length.
        val_fraction: fracción final del corpus para validación.
        seed: semilla del barajado (la misma en todos los procesos).
        num_replicas, rank: número de procesos y cuál es este.

    Devuelve:
        (train_loader, val_loader).
    """
    check_token_sequence(token_ids)
    check_positive_int("batch_size", batch_size)
    stride = context_length if stride is None else stride
    train_ids, val_ids = split_token_ids(token_ids, val_fraction)
    for part, ids in (("entrenamiento", train_ids), ("validación", val_ids)):
        if len(ids) < context_length + 1:
            raise ValueError(
                f"La parte de {part} tiene {len(ids)} tokens y una ventana necesita context_length + 1 = "
                f"{context_length + 1}; usa un corpus más largo, un context_length menor u otro val_fraction."
            )
    train_ds = GPTDataset(train_ids, context_length, stride)
    val_ds = GPTDataset(val_ids, context_length, context_length)  # validación: ventanas sin solapar
    sampler = DistributedSampler(train_ds, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed,
                                 drop_last=True)
    # un generador propio: crear un iterador del DataLoader no consume números del generador global, que
    # queda solo para el dropout (así, al continuar desde un punto de control, todo sigue igual)
    train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=sampler, drop_last=True,
                              generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_ds, batch_size=batch_size, shuffle=False, generator=torch.Generator().manual_seed(seed))
    if len(train_loader) == 0:
        raise ValueError(
            f"Con batch_size={batch_size} no sale ni un lote de entrenamiento ({len(train_ds)} ventanas"
            f"{f' entre {num_replicas} procesos' if num_replicas > 1 else ''}); usa un batch_size menor."
        )
    return train_loader, val_loader


def write_course_corpus(path=CORPUS_PATH, root=ROOT):
    """Extrae la prosa del curso y la guarda en path (UTF-8). Devuelve el número de caracteres.

    Escribe primero un fichero temporal y luego lo renombra: quien lee el corpus a la vez (un
    entrenamiento) ve el viejo o el nuevo, nunca uno a medias.
    """
    text = extract_course_text(root)
    if not text:
        raise FileNotFoundError(f"No hay ningún notebook del curso en {str(Path(root) / 'notebooks')!r}; "
                                "ejecuta la orden desde la carpeta del curso.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(text)


def main(argv=None):
    """python -m utils.data: extrae el corpus del curso y lo guarda (--out)."""
    from utils.checks import check_writable_path
    from utils.cli import CourseArgumentParser

    p = CourseArgumentParser("python -m utils.data", __doc__.split("\n\n")[0])
    p.add_argument("--out", default=None,
                   help=f"fichero donde se guarda el corpus (por defecto, {CORPUS_PATH.relative_to(ROOT)})")
    args = p.parse_args(argv)
    out = CORPUS_PATH if args.out is None else Path(args.out)
    check_writable_path(out, option="--out", suffixes=("",))
    n = write_course_corpus(out)
    print(f"{args.out or CORPUS_PATH.relative_to(ROOT)}: {n} caracteres")


if __name__ == "__main__":
    import sys

    from utils.cli import run_command

    sys.exit(run_command(main))
