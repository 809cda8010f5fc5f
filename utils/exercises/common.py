"""Piezas comunes de todas las comprobaciones del curso: veredictos y lectura flexible de respuestas.

Una comprobación nunca imprime la solución: dice si la respuesta está bien y, cuando no, hacia dónde mirar.
Cada pregunta tiene una función `evaluate_*` que devuelve un `Verdict` (lo usan las pruebas) y el notebook
lo muestra con `show`. Casi todas empiezan igual, con el decorador `reads_answer` (sin respuesta, o una
respuesta que no se puede leer), y muchas terminan con `wrong_with_hint` (la pista de un error típico).
"""

import copy
import functools
import inspect
import math
import re
from typing import NamedTuple

import torch

UNANSWERED_MESSAGE = (
    "Todavía no has respondido: escribe tu respuesta en la celda de arriba, ejecútala "
    "y vuelve a ejecutar esta."
)
ICONS = {"correct": "✅", "wrong": "❌", "unanswered": "✏️"}
# Configuración pequeña para comprobar modelos en milisegundos (sin dropout: resultados deterministas); las
# pruebas la usan también, como el fixture tiny_cfg de tests/conftest.py.
CHECK_CFG = {
    "vocab_size": 100, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2,
    "drop_rate": 0.0, "qkv_bias": False,
}

class Verdict(NamedTuple):
    """Resultado de comprobar una respuesta.

    Parámetros:
        status: "correct", "wrong" o "unanswered".
        message: explicación en español, sin la solución.
    """

    status: str
    message: str


def correct(message):
    return Verdict("correct", message)


def wrong(message):
    return Verdict("wrong", message)


def unanswered():
    return Verdict("unanswered", UNANSWERED_MESSAGE)


def show(verdict):
    """Imprime un veredicto con su icono, sin devolver nada (así el notebook no muestra un repr).

    Parámetros:
        verdict: el Verdict que devuelve una función evaluate_*.
    """
    print(f"{ICONS[verdict.status]} {verdict.message}")


def ready_for_experiment(verdict, what):
    """Dice si se puede hacer el experimento que sigue a una comprobación; si no, muestra qué falta.

    Parámetros:
        verdict: el Verdict de la comprobación de lo que ha escrito quien aprende.
        what: lo que se comprueba, para el mensaje (p. ej. "tu máscara").

    Devuelve:
        True si verdict es correcto; si no, False, después de mostrar el aviso de sin responder o de pedir
        que la comprobación salga bien antes.
    """
    if verdict.status == "correct":
        return True
    show(verdict if verdict.status == "unanswered" else
         wrong(f"Primero haz que la comprobación de {what} salga bien."))
    return False


# ---------------------------------------------------------------------------------------------------
# Lectura de números escritos de distintas formas: 406212608, 406_212_608, "406,212,608", tensor(...)
# ---------------------------------------------------------------------------------------------------

class NotANumber(Exception):
    pass


def to_float(value):
    """Convierte int, float, tensor de un elemento, número de NumPy o texto en float."""
    if isinstance(value, bool):
        raise NotANumber(f"{value!r} es un booleano, no un número")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise NotANumber(f"un tensor de forma {tuple(value.shape)} (debería ser un solo número)")
        return float(value.item())
    if isinstance(value, str):
        text = re.sub(r"(?i)\s*(mb|mib|parámetros|parametros)\s*$", "", value.strip())
        text = re.sub(r"[\s_'\u00a0\u202f]", "", text)
        if "," in text and "." in text:
            decimal = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal == "," else ","
            text = text.replace(thousands, "").replace(decimal, ".")
        elif text.count(",") > 1 or text.count(".") > 1:
            text = text.replace(",", "").replace(".", "")  # solo separadores de miles
        elif "," in text:
            whole, frac = text.split(",")
            text = whole + frac if len(frac) == 3 else f"{whole}.{frac}"
        try:
            return float(text)
        except ValueError:
            raise NotANumber(f"no entiendo el texto {value!r} como número") from None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise NotANumber(f"{type(value).__name__} no es un número") from None


def to_count(value):
    """Convierte una respuesta en un número entero de parámetros, o lanza NotANumber."""
    number = to_float(value)
    if not math.isfinite(number) or number != round(number):
        raise NotANumber(f"{value!r} no es un número entero de parámetros")
    return int(round(number))


def close(a, b, rel=0.01):
    return abs(a - b) <= rel * abs(b)


def as_function(answer):
    """Acepta una función, una instancia de nn.Module o una clase de nn.Module sin argumentos."""
    if inspect.isclass(answer):
        return answer()
    return answer


def as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower().rstrip(".")
        if text in ("sí", "si", "true", "verdadero", "yes", "s"):
            return True
        if text in ("no", "false", "falso", "n"):
            return False
    raise NotANumber(f"{value!r}")


def _to_numbers(answer, split, parse, expected):
    """Lee varios números con parse, de una tupla o lista o de un texto que split parte en trozos.

    Parámetros:
        answer: lo que escribe quien aprende.
        split: la función que parte un texto en los trozos que son números (sin trozos vacíos).
        parse: la función que lee cada número, p. ej. to_count o to_float.
        expected: qué se espera, para el mensaje si answer no es ni texto ni tupla ni lista.

    Devuelve:
        una tupla; lanza NotANumber si no se puede leer.
    """
    if isinstance(answer, str):
        parts = split(answer)
        if not parts:
            raise NotANumber(f"no encuentro ningún número en {answer!r}")
        return tuple(parse(part) for part in parts)
    if isinstance(answer, (tuple, list)):
        return tuple(parse(value) for value in answer)
    raise NotANumber(f"{expected}, y he recibido {type(answer).__name__}")


def _shape_parts(text):
    """Parte "(3, 6, 50257)", "3 x 6 x 50257" o "3 6 50257" en los trozos de cada número."""
    text = re.sub(r"torch\.Size|[()\[\]]", " ", text)
    parts = re.split(r"[,x×*;]", text)
    if len(parts) == 1:
        parts = text.split()  # "3 6 50257": separados solo por espacios
    return [part for part in parts if part.strip()]


def to_shape(answer):
    """Convierte una respuesta en una forma: tupla, lista, torch.Size o texto como "(3, 6, 50257)" o "3 x 6 x 50257".

    Parámetros:
        answer: la forma escrita por quien aprende.

    Devuelve:
        una tupla de enteros; lanza NotANumber si no se puede leer.
    """
    if isinstance(answer, torch.Size):
        return tuple(answer)
    return _to_numbers(answer, _shape_parts, to_count, "se espera una forma como (a, b, c)")


ERROR_ANSWER = "error"  # lo que devuelve to_shape_or_error si la respuesta dice que la celda falla


def to_shape_or_error(answer):
    """Lee una forma como to_shape, o devuelve ERROR_ANSWER si la respuesta dice que la celda lanza un error.

    Parámetros:
        answer: la forma escrita por quien aprende, o un texto con la palabra «error».
    """
    if isinstance(answer, str) and "error" in answer.lower():
        return ERROR_ANSWER
    return to_shape(answer)


def _number_parts(text):
    """Parte "(0, 0, 100)", "0,0,100", "0; 0; 100" o "tensor([0., 0., 100.])" en los trozos de cada número."""
    text = re.sub(r"tensor|[()\[\]]", " ", text).strip()
    separator = r"[;\s]+" if re.search(r"[;\s]", text) else ","  # "0, 0, 100" o "0,0,100"
    return [part.strip(",") for part in re.split(separator, text) if part.strip(",")]


def to_floats(answer):
    """Convierte una respuesta con varios números (tupla, lista, tensor o texto "(0, 0, 100)") en una tupla de floats.

    Parámetros:
        answer: los números escritos por quien aprende.

    Devuelve:
        una tupla de floats; lanza NotANumber si no se puede leer.
    """
    if isinstance(answer, torch.Tensor):
        return tuple(float(v) for v in answer.flatten().tolist())
    return _to_numbers(answer, _number_parts, to_float, "se esperan varios números, como (a, b, c)")


# ---------------------------------------------------------------------------------------------------
# El principio y el final de casi todas las comprobaciones: leer la respuesta y explicar un error típico
# ---------------------------------------------------------------------------------------------------

def reads_answer(parser, message, answers=1):
    """Decora una función evaluate_* para que reciba la respuesta ya leída.

    Antes de llamar a la función, lee sus primeros `answers` parámetros con parser. Si falta alguno (None),
    devuelve unanswered(); si parser no puede leer alguno (lanza NotANumber), devuelve wrong(message), con
    {error} sustituido por lo que no se ha entendido. Si todo se lee bien, llama a la función con las
    respuestas ya convertidas (un entero, un float, un booleano, una forma...).

    Parámetros:
        parser: la función que lee una respuesta, p. ej. to_count, to_float, as_bool o to_shape.
        message: el mensaje si no se puede leer, p. ej. "Escribe un número entero: {error}.".
        answers: cuántos de los primeros parámetros de la función son respuestas (por defecto, 1).

    Devuelve:
        el decorador.
    """
    def decorate(evaluate):
        signature = inspect.signature(evaluate)
        names = list(signature.parameters)[:answers]

        @functools.wraps(evaluate)
        def evaluate_read_answer(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            if any(bound.arguments.get(name) is None for name in names):
                return unanswered()
            try:
                for name in names:
                    bound.arguments[name] = parser(bound.arguments[name])
            except NotANumber as error:
                return wrong(message.format(error=error))
            return evaluate(*bound.args, **bound.kwargs)

        return evaluate_read_answer

    return decorate


def wrong_with_hint(value, hints, fallback):
    """Devuelve el Verdict de una respuesta equivocada: la pista de su error típico o, si no es uno, fallback.

    Parámetros:
        value: la respuesta ya leída (un número, una forma...).
        hints: {respuesta equivocada típica: pista que explica de dónde sale}.
        fallback: el mensaje para cualquier otra respuesta equivocada.

    Devuelve:
        un Verdict "wrong".
    """
    if value in hints:
        return wrong(f"Todavía no: {hints[value]}")
    return wrong(fallback)


def choice_verdict(answer, right, praise, hints, what="una de las opciones"):
    """Devuelve el Verdict de una pregunta con opciones a), b), c) y d): praise si acierta, la pista de su letra si no.

    Parámetros:
        answer: la letra que escribe quien aprende ("b"; también "B", "b)" o "(b)"), o None si no ha respondido.
        right: la letra correcta, o una función sin argumentos que la calcula (solo se llama con una letra
            válida: puede ejecutar un experimento).
        praise: el mensaje del acierto.
        hints: {letra equivocada: pista que explica el error}.
        what: qué se elige, para pedir una letra válida (p. ej. "una línea").

    Devuelve:
        un Verdict.
    """
    if answer is None:
        return unanswered()
    letter = str(answer).strip().strip("()[]. ").lower()[:1]
    if letter not in tuple("abcd"):  # tuple: la cadena vacía no cuenta como opción
        return wrong(f"Responde con la letra de {what}: \"a\", \"b\", \"c\" o \"d\".")
    if letter == (right() if callable(right) else right):
        return correct(praise)
    return wrong(f"Todavía no: {hints[letter]}")


# ---------------------------------------------------------------------------------------------------
# Piezas de las comprobaciones que reciben una clase (un modelo o un bloque escrito por quien aprende)
# ---------------------------------------------------------------------------------------------------

def build_seeded(model_class, cfg, seed=123):
    """Crea model_class(cfg) con una semilla fija y una copia de cfg (la respuesta no puede cambiar la nuestra).

    Parámetros:
        model_class: la clase (o función) que recibe cfg.
        cfg: configuración del modelo.
        seed: semilla de torch antes de crear el modelo.
    """
    torch.manual_seed(seed)
    return model_class(copy.deepcopy(cfg))


def class_answer_problem(answer, what):
    """Devuelve el Verdict que toca si la respuesta no es una clase que reciba cfg (o None si lo es).

    Parámetros:
        answer: lo que pasó quien aprende (debería ser una clase, p. ej. GPTModelDropout).
        what: qué se espera, para el mensaje (p. ej. "del modelo").
    """
    if answer is None:
        return unanswered()
    if isinstance(answer, torch.nn.Module):  # el error típico: pasar MiClase(cfg) en lugar de MiClase
        return wrong(f"Has pasado {type(answer).__name__}(...) ya creado; pasa la clase {what} sin crearla, "
                     f"sin paréntesis: {type(answer).__name__}.")
    if not callable(answer):
        return wrong(f"Se espera la clase {what} (algo que reciba cfg), y he recibido {type(answer).__name__}.")
    return None


def build_answer(answer, cfg, what, noun):
    """Crea en modo eval, con build_seeded, la clase de quien aprende, o explica por qué no se puede.

    Parámetros:
        answer: lo que pasó quien aprende (debería ser una clase que reciba cfg).
        cfg: configuración con la que se crea.
        what: qué se espera, para class_answer_problem (p. ej. "del modelo").
        noun: cómo se nombra en el mensaje si crearla falla (p. ej. "modelo": «Crear tu modelo lanza...»).

    Devuelve:
        (lo creado, None) si se crea bien; (None, Verdict) si no.
    """
    problem = class_answer_problem(answer, what)
    if problem:
        return None, problem
    try:
        return build_seeded(answer, cfg).eval(), None
    except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
        return None, wrong(f"Crear tu {noun} lanza {type(error).__name__}: {error}")


def forward_answer(model, x, noun):
    """Pasa x, sin gradientes, por el modelo (o el bloque) de quien aprende, o explica por qué falla.

    Parámetros:
        model: lo que ha creado la clase de quien aprende.
        x: la entrada (ids de tokens para un modelo, vectores para un bloque).
        noun: cómo se nombra en el mensaje si falla (p. ej. "modelo").

    Devuelve:
        (la salida, None) si la pasada funciona; (None, Verdict) si lanza una excepción.
    """
    try:
        with torch.no_grad():
            return model(x), None
    except Exception as error:  # el fallo es del código de quien aprende: se lo explicamos
        return None, wrong(f"La pasada hacia delante de tu {noun} lanza {type(error).__name__}: {error}")


def diagnose_count(value, expected, mistakes, what):
    """Devuelve None si value == expected; si no, una pista en español (sin el valor correcto).

    Parámetros:
        value: el recuento de quien aprende (entero).
        expected: el recuento correcto.
        mistakes: {recuento equivocado típico: pista que lo explica}.
        what: qué se cuenta, para el mensaje (p. ej. "ff").
    """
    if value == expected:
        return None
    if value in mistakes:
        return f"{what}: {mistakes[value]}"
    if close(value, expected) and value % 1000 == 0:  # parece redondeado: 4.72e6, 406_000_000...
        return f"{what}: estás muy cerca, pero buscamos el número exacto, no una aproximación."
    if value < expected:
        return f"{what}: te faltan parámetros; recorre todas las capas del módulo, con pesos y sesgos."
    return f"{what}: te sobran parámetros; cuenta solo los de ese módulo y solo los parámetros (no los buffers)."
