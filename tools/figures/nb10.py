"""Figura del notebook 10: el bucle de entrenamiento."""

from tools.figures import COLORS, arrow, box, frame, new_figure


def bucle_entrenamiento():
    """Devuelve la figura del bucle: lote, tasa, paso de entrenamiento y, cada eval_freq pasos, evaluación."""
    fig, ax = new_figure(10.0, 6.4)
    fs = 10
    top, h = 4.35, 1.3

    box(ax, 0.2, top, 2.2, h, "training_batches\n(paso, lote)\nlote tras lote,\népoca tras época", "texto",
        fontsize=fs)
    box(ax, 2.85, top, 1.9, h, "lote al\ndispositivo\n.to(device)", "texto", fontsize=fs)
    box(ax, 5.2, top, 1.9, h, "learning_rate\n(paso)\ntasa del paso", "norma", fontsize=fs)
    arrow(ax, (2.4, top + h / 2), (2.85, top + h / 2))
    arrow(ax, (4.75, top + h / 2), (5.2, top + h / 2))

    # train_step: sus seis pasos, de arriba abajo
    frame(ax, 7.45, 1.6, 2.4, 4.5, kind="bloque")
    ax.text(8.65, 5.85, "train_step", ha="center", va="center", fontsize=11, fontweight="bold")
    steps = [("model.train()", "dropout"), ("zero_grad()", "texto"), ("pérdida del lote", "salida"),
             ("loss.backward()", "salida"), ("recortar gradiente", "norma"), ("optimizer.step()", "feedforward")]
    y = 5.15
    for i, (text, kind) in enumerate(steps):
        box(ax, 7.6, y, 2.1, 0.5, text, kind, fontsize=fs)
        if i:
            arrow(ax, (8.65, y + 0.5 + 0.18), (8.65, y + 0.5))
        y -= 0.68
    arrow(ax, (7.1, top + h / 2), (7.6, 5.4))

    # cada eval_freq pasos: evaluar
    bottom, hb = 0.3, 1.0
    mid = bottom + hb / 2
    box(ax, 5.2, bottom, 1.9, hb, "¿paso múltiplo\nde eval_freq\no el último?", "destacado", fontsize=fs)
    box(ax, 2.85, bottom, 1.9, hb, "evaluate_model\npérdidas,\nsin dropout", "salida", fontsize=fs)
    box(ax, 0.2, bottom, 2.2, hb, "history\n+ on_eval", "texto", fontsize=fs)
    arrow(ax, (8.65, 1.75), (7.1, mid), connectionstyle="angle,angleA=90,angleB=0,rad=0")
    arrow(ax, (5.2, mid), (4.75, mid))
    ax.text(4.97, mid + 0.08, "sí", ha="center", va="bottom", fontsize=fs)
    arrow(ax, (2.85, mid), (2.4, mid))

    # vuelta al principio: el paso siguiente
    loop_y = 2.75
    arrow(ax, (1.3, bottom + hb), (1.3, top))
    ax.plot([6.15, 6.15, 1.3], [bottom + hb, loop_y, loop_y], color=COLORS["destacado"], linewidth=1.4)
    ax.plot([1.3], [loop_y], marker="o", markersize=5, color=COLORS["destacado"])
    ax.text(3.75, loop_y + 0.1, "no: el paso siguiente", ha="center", va="bottom", fontsize=fs,
            color=COLORS["destacado"])
    ax.text(1.5, 3.55, "se repite\ntotal_steps\nveces", ha="left", va="center", fontsize=11, fontweight="bold",
            color=COLORS["destacado"])
    return fig


FIGURES = {"10_bucle_entrenamiento.png": bucle_entrenamiento}
