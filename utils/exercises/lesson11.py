"""Preguntas «¿Lo has entendido?» del notebook 11: bytes de UTF-8, cuántas fusiones aprende un BPE, por qué
se comparan tokenizadores en bits por byte y por qué el BPE español pierde con los mismos pasos."""

from utils.exercises.common import choice_verdict, correct, reads_answer, to_count, wrong_with_hint

WORD = "pingüino"  # la pregunta 1: sus bytes en UTF-8
VOCAB_SIZE, N_SPECIAL = 1000, 1  # la pregunta 2: vocab_size=1000 con <|endoftext|>
BITS_PER_BYTE_CHOICE = "c"  # la opción correcta de la pregunta 3
FEWER_TOKENS_CHOICE = "b"  # la opción correcta de la pregunta 4


def utf8_bytes(word=WORD):
    """Cuenta los bytes de word en UTF-8."""
    return len(word.encode("utf-8"))


@reads_answer(to_count, "Escribe un número entero de bytes: {error}.")
def evaluate_utf8_bytes(answer):
    """Comprueba cuántos bytes ocupa «pingüino» en UTF-8.

    Parámetros:
        answer: un número entero.

    Devuelve:
        un Verdict.
    """
    if answer == utf8_bytes():
        return correct("¡Correcto! Las letras de ASCII ocupan un byte y la «ü», dos: BPE empieza con esos bytes.")
    return wrong_with_hint(answer, {
        len(WORD): "ese es el número de caracteres. ¿Todos ocupan un byte en UTF-8?",
        len(WORD) + 2: "solo una letra de la palabra está fuera de ASCII, y ocupa dos bytes, no tres.",
        2 * len(WORD): "UTF-8 no usa dos bytes para todo: las letras de ASCII ocupan uno.",
    }, "Todavía no. Cuenta un byte por cada letra de ASCII y mira cuántos ocupa la «ü» con .encode(\"utf-8\").")


def num_merges(vocab_size=VOCAB_SIZE, n_special=N_SPECIAL):
    """Fusiones que aprende BPETokenizer.train con vocab_size y n_special tokens especiales."""
    return vocab_size - 256 - n_special


@reads_answer(to_count, "Escribe un número entero de fusiones: {error}.")
def evaluate_num_merges(answer):
    """Comprueba cuántas fusiones aprende BPETokenizer.train(text, vocab_size=1000) con <|endoftext|>.

    Parámetros:
        answer: un número entero.

    Devuelve:
        un Verdict.
    """
    if answer == num_merges():
        return correct("¡Correcto! vocab_size cuenta los 256 bytes, las fusiones y los tokens especiales: cada "
                       "fusión añade un token. Compruébalo con es_tokenizer: len(es_tokenizer.vocab) - 256 (sus "
                       "fusiones; vocab no guarda los especiales) da lo mismo que es_tokenizer.n_vocab - 256 - 1.")
    return wrong_with_hint(answer, {
        VOCAB_SIZE - 256: "falta un token del vocabulario que no sale de ninguna fusión.",
        VOCAB_SIZE: "vocab_size no son solo fusiones: cuenta también los tokens con los que empieza BPE.",
        VOCAB_SIZE - N_SPECIAL: "los tokens de partida tampoco son fusiones.",
    }, "Todavía no. Resta de vocab_size los tokens que no salen de una fusión.")


def evaluate_why_bits_per_byte(answer):
    """Comprueba la opción elegida sobre por qué la pérdida por token no compara dos tokenizadores.

    Parámetros:
        answer: la letra de la opción ("a", "b", "c" o "d"; también "C" o "c)").

    Devuelve:
        un Verdict.
    """
    hints = {
        "a": "los dos modelos tienen los mismos parámetros; el problema está en qué cuenta como un token.",
        "b": "la entropía cruzada se calcula igual con cualquier vocabulario; mira cuánto texto hay en cada token.",
        "d": "los bits y los nats solo cambian la unidad (un factor ln 2), y eso no arregla nada.",
    }
    return choice_verdict(answer, BITS_PER_BYTE_CHOICE, hints=hints, praise=(
        "¡Correcto! Un token largo lleva más texto y es más difícil de acertar: la pérdida por token sube aunque "
        "el modelo prediga el texto igual de bien. Por byte, los dos se miden con la misma vara."))


def evaluate_fewer_tokens(answer):
    """Comprueba la opción elegida sobre qué le pasa al modelo del BPE español con los mismos 250 pasos.

    Parámetros:
        answer: la letra de la opción ("a", "b", "c" o "d"; también "B" o "b)").

    Devuelve:
        un Verdict.
    """
    hints = {
        "a": "los mismos pasos con lotes de los mismos tokens procesan los mismos tokens, y cada token del BPE "
             "español lleva más texto: lee más caracteres, no menos. Mira cuántas veces recorre su corpus.",
        "c": "los dos vocabularios tienen el mismo tamaño, así que tok_emb y out_head son iguales y los dos modelos "
             "tienen los mismos parámetros: lo elegimos así para que la comparación fuera justa.",
        "d": "al revés: cada token del BPE español lleva más texto y es más difícil de acertar, así que su pérdida "
             "por token sube. Y recuerda la pregunta 3: la pérdida por token no compara tokenizadores.",
    }
    return choice_verdict(answer, FEWER_TOKENS_CHOICE, hints=hints, praise=(
        "¡Correcto! Los mismos pasos procesan los mismos tokens, y su texto de entrenamiento son menos tokens: "
        "lo recorre más veces (más memoria, el sobreajuste llega antes) y cada id sale menos veces de media "
        "(sus filas de tok_emb y out_head aprenden con menos ejemplos). Por eso pierde en bits por byte."))
