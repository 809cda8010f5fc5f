"""Órdenes del curso que responden en una línea: un error de uso o de ejecución, en español, sin traza.

Cada orden (python -m utils.train, python -m utils.data, los benchmarks) lee sus opciones con
CourseArgumentParser y se ejecuta con run_command:

    error: --steps debe ser un entero positivo, y vale 0; p. ej. --steps 300

El código de salida dice qué pasó: 0 bien, 1 la orden estaba bien escrita pero algo falló al ejecutarla
(un fichero que falta o no sirve, una carpeta en la que no se puede escribir), 2 la orden está mal
escrita (una opción desconocida, un valor imposible o que no casa con otro), 130 interrumpida con
Ctrl+C. Con --debug se ve la traza completa de Python, para quien quiera saber dónde falló.
"""

import argparse
import math
import re
import sys
from difflib import get_close_matches
from pathlib import Path

EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """La orden está mal escrita: una opción con un valor imposible o que no casa con otra (salida 2)."""


class _SpanishHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """La ayuda con «uso:» en vez de «usage:» y el valor por defecto de cada opción."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="uso: " if prefix is None else prefix)

    def _get_help_string(self, action):
        if action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action).replace("(default: %(default)s)", "(por defecto: %(default)s)")


class CourseArgumentParser(argparse.ArgumentParser):
    """Un ArgumentParser que explica los errores en una línea en español, nombrando la opción tal como se
    escribió, y termina con el código 2. Sin abreviaturas: --step no se toma en silencio por --steps."""

    def __init__(self, prog, description):
        super().__init__(prog=prog, description=description, formatter_class=_SpanishHelpFormatter,
                         allow_abbrev=False, add_help=False)
        self._optionals.title = "opciones"
        self.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
        self.add_argument("--debug", action="store_true",
                          help="ante un error, muestra la traza completa de Python en vez de una línea")

    def error(self, message):
        print(f"error: {self._spanish(message)}", file=sys.stderr)
        sys.exit(EXIT_USAGE)

    def _spanish(self, message):
        """Traduce los mensajes de argparse que puede ver quien usa la orden."""
        more = f"las opciones: {self.prog} --help"
        known = [s for action in self._actions for s in action.option_strings if s.startswith("--")]
        if m := re.match(r"unrecognized arguments: (.*)", message):
            first = m.group(1).split()[0]
            option = first.split("=", 1)[0]
            if not option.startswith("-"):
                return f"sobra {first!r}: esta orden no recibe argumentos sueltos, solo opciones; {more}"
            close = get_close_matches(option, known, 1, 0.6)
            hint = f"¿querías decir {close[0]}? " if close else ""
            return f"la opción {option} no existe; {hint}{more}"
        if m := re.match(r"argument (\S+): expected one argument", message):
            return f"a {m.group(1)} le falta su valor, p. ej. {m.group(1)} {self._example(m.group(1))}"
        if m := re.match(r"argument (\S+): ignored explicit argument (.*)", message):
            return f"{m.group(1)} no lleva valor (quita ={m.group(2).strip(chr(39))}); {more}"
        if m := re.match(r"argument (\S+): (.*)", message):  # los tipos de abajo ya dan el mensaje en español
            option = m.group(1).split("/")[-1]
            example = self._example(option)
            hint = f"; p. ej. {option} {example}" if example != "VALOR" and "p. ej." not in m.group(2) else ""
            return f"{option} {m.group(2)}{hint}"
        return f"{message}; {more}"

    def _example(self, option):
        for action in self._actions:
            if option in action.option_strings and action.default not in (None, False):
                return action.default
        return "VALOR"


# Tipos de las opciones: convierten el texto y, si no pueden, dicen en español qué esperaban.
def positive_int(text):
    """Un entero mayor que 0 (--steps, --batch-size...)."""
    return _int_at_least(text, 1, "un entero positivo")


def non_negative_int(text):
    """Un entero mayor o igual que 0 (--warmup, --seed...)."""
    return _int_at_least(text, 0, "un entero mayor o igual que 0")


def _int_at_least(text, minimum, requirement):
    """Convierte text en un entero mayor o igual que minimum; si no puede, dice que «debe ser» requirement."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"espera un número entero, y recibió {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"debe ser {requirement}, y vale {value}")
    return value


def finite_float(text):
    """Un número real finito (sin nan ni inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"espera un número, como 0.1 o 1e-3, y recibió {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"debe ser un número finito, y vale {text!r}")
    return value


def positive_float(text):
    """Un número real mayor que 0 (--lr, --timeout)."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"debe ser un número positivo, y vale {text}")
    return value


def non_negative_float(text):
    """Un número real mayor o igual que 0 (--min-lr, --weight-decay)."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"debe ser un número mayor o igual que 0, y vale {text}")
    return value


def probability(text):
    """Una probabilidad en [0, 1) (--drop-rate)."""
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"debe ser una probabilidad en [0, 1), y vale {text}; p. ej. 0.1 apaga un 10 % de los valores")
    return value


def one_of(*choices):
    """Un tipo que acepta solo uno de choices (p. ej. --device auto|cpu|cuda|mps)."""

    def choice(text):
        if text not in choices:
            raise argparse.ArgumentTypeError(f"no admite {text!r}; elige uno de: {', '.join(choices)}")
        return text

    choice.__name__ = "|".join(choices)
    return choice


def run_command(main, argv=None):
    """Ejecuta main(argv) y convierte cualquier error en una línea «error: ...» en stderr y su código de salida.

    Con --debug en argv, el error sale con su traza completa. Devuelve el código de salida (0 si fue bien),
    para terminar con sys.exit(run_command(main)).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        main(argv)
        return 0
    except SystemExit as done:  # argparse (--help, un error de opciones) o una salida pedida
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_RUNTIME)
    except KeyboardInterrupt as stop:
        if "--debug" in argv:
            raise
        print(f"\n{one_line(stop) or 'Interrumpido (Ctrl+C).'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - aquí se decide cómo se muestra cualquier error
        if "--debug" in argv:
            raise
        print(f"error: {one_line(err)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, UsageError) else EXIT_RUNTIME


def one_line(err):
    """El mensaje de una excepción en una línea.

    Los errores que lanza el código del curso ya están en español y dicen qué hacer; uno que sale de otra
    biblioteca (PyTorch, el sistema) lleva además su tipo y la pista de --debug.
    """
    text = " ".join(str(err).split())
    if isinstance(err, KeyboardInterrupt) or _raised_by_course(err):
        return text
    return f"{type(err).__name__}: {text} (un fallo inesperado; repite la orden con --debug para ver dónde ocurrió)"


def _raised_by_course(err):
    """Dice si err se lanzó en un fichero del curso (utils/, benchmarks/, curso.py), no en otra biblioteca."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    return where.is_relative_to(ROOT) and ".venv" not in where.relative_to(ROOT).parts
