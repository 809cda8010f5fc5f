"""Comprobaciones de las preguntas y los ejercicios del curso: dicen si una respuesta está bien y, si no, hacia
dónde mirar, sin enseñar la solución.

Cada pregunta tiene una función `evaluate_*` que devuelve un `Verdict`; el notebook lo imprime con
`show(...)`, de common.py. Dónde está cada comprobación:

- common.py: lo que comparten todas (Verdict, show, leer la respuesta y números escritos de varias formas...).
- lesson1.py … lesson8.py: las preguntas «¿Lo has entendido?» del final de cada lección.
- Notebook 9 (9_ejercicios.ipynb), un fichero por ejercicio:
    - ex1_params.py: 1 · parámetros de la red feed-forward frente a la atención.
    - ex2_sizes.py: 2 · parámetros y memoria de GPT-2 medium, large y XL.
    - ex3_dropout.py: 3 · una tasa de dropout para cada sitio.
    - ex4_post_ln.py: 4 · LayerNorm antes o después (post-LN) y su comparación con pre-LN.
    - ex5_sliding_window.py: 5 · atención con ventana deslizante y hasta dónde llega la información.
    - ex6_no_pos.py: 6 · un modelo sin embeddings de posición y las permutaciones.
    - ex7_attention_shapes.py: 7 · la forma de los pesos de atención.
    - ex8_repetition_penalty.py: 8 · la penalización por repetición al generar texto.
"""
