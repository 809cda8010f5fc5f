"""Comprobaciones de las preguntas y los ejercicios del curso (common.py: las piezas que comparten)."""

from utils.exercises.nb8 import *  # noqa: F401,F403 - transitorio: el notebook 8 importa utils.exercises
from utils.exercises.nb8 import CHECK_CFG  # noqa: F401
