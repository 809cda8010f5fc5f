"""Código del curso «GPT desde cero»: la arquitectura GPT-2 que construyen los notebooks."""
