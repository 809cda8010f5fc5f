"""Figuras del notebook 11: del texto a los ids, y una palabra fusión a fusión con GPT-2 y con un BPE español."""

import math

from tools.figures import COLORS, EDGE, arrow, box, new_figure

EXAMPLE = "¿Qué tal, señor?"
WORD = " también"


def spanish_tokenizer():
    """El BPE español del notebook: tantos tokens como el vocabulario compacto del notebook 10, aprendido con la
    parte de entrenamiento del corpus (el 90 % inicial de sus tokens de GPT-2)."""
    import tiktoken

    from utils.bpe import ENDOFTEXT, BPETokenizer
    from utils.data import CORPUS_PATH, CompactTokenizer, read_corpus
    from utils.tokenizer import install_gpt2_bpe_files

    install_gpt2_bpe_files()
    text = read_corpus(CORPUS_PATH)
    gpt2 = tiktoken.get_encoding("gpt2")
    gpt2_ids = gpt2.encode(text, allowed_special={ENDOFTEXT})
    train_text = gpt2.decode(gpt2_ids[:int(len(gpt2_ids) * 0.9)])
    return BPETokenizer.train(train_text, CompactTokenizer.from_text(gpt2, text).n_vocab)


def bpe_steps(chunk, ranks):
    """Las piezas de chunk tras cada fusión de utils.bpe.bpe (sin su atajo): una lista por paso."""
    parts = [bytes([b]) for b in chunk]
    steps = [list(parts)]
    while len(parts) > 1:
        joined = [parts[i] + parts[i + 1] for i in range(len(parts) - 1)]
        best = min(range(len(joined)), key=lambda i: ranks.get(joined[i], math.inf))
        if joined[best] not in ranks:
            break
        parts[best:best + 2] = [joined[best]]
        steps.append(list(parts))
    return steps


def label(piece):
    """Texto de una pieza: el espacio como «␣»; un trozo de carácter UTF-8, en hexadecimal."""
    try:
        return piece.decode("utf-8").replace(" ", "␣")
    except UnicodeDecodeError:
        return " ".join(f"{b:02X}" for b in piece)


def del_texto_a_los_ids():
    """Las etapas del tokenizador con un ejemplo: texto, trozos, bytes, tokens e ids, y el modelo al final."""
    import regex

    from utils.bpe import GPT2_SPLIT_PATTERN

    tokenizer = spanish_tokenizer()
    chunks = regex.findall(GPT2_SPLIT_PATTERN, EXAMPLE)
    word = chunks[4].encode("utf-8")  # «␣señor»
    tokens = [tokenizer.decode_bytes([i]) for i in tokenizer.encode(EXAMPLE)]
    rows = [
        ("texto", f"«{EXAMPLE}»", "texto"),
        ("pre-tokenización\n(expresión regular)", "  ".join(f"«{label(c.encode())}»" for c in chunks), "norma"),
        ("bytes UTF-8", f"«{label(word)}» = " + " ".join(f"{b:02X}" for b in word)
         + f"   ({len(word)} bytes: la ñ ocupa 2)", "embedding"),
        ("fusiones BPE", "  ".join(f"«{label(t)}»" for t in tokens), "feedforward"),
        ("ids", str(tokenizer.encode(EXAMPLE)), "salida"),
    ]
    fig, ax = new_figure(10.0, 6.3)
    y, h, gap = 5.4, 0.72, 0.32
    for i, (stage, example, kind) in enumerate(rows):
        top = y - i * (h + gap)
        box(ax, 0.2, top, 2.6, h, stage, kind, fontsize=10.5, bold=True)
        ax.text(3.1, top + h / 2, example, ha="left", va="center", fontsize=11, family="DejaVu Sans")
        if i:
            arrow(ax, (1.5, top + h + gap), (1.5, top + h))
    bottom = y - (len(rows) - 1) * (h + gap)
    arrow(ax, (1.5, bottom), (1.5, bottom - gap - 0.05))
    box(ax, 0.2, bottom - gap - 0.05 - h, 2.6, h, "GPTModel", "bloque", fontsize=11, bold=True)
    ax.text(3.1, bottom - gap - 0.05 - h / 2, "una fila de tok_emb por id", ha="left", va="center", fontsize=11)
    return fig


def fusiones_paso_a_paso():
    """La palabra « también» fusión a fusión: con las fusiones de GPT-2 y con las del BPE español."""
    from utils.bpe import BPETokenizer

    spanish = spanish_tokenizer()
    columns = [("GPT-2 (50 000 fusiones, texto en inglés)", BPETokenizer.from_gpt2()),
               (f"BPE español ({len(spanish.vocab) - 256} fusiones, el corpus del curso)", spanish)]
    steps = [bpe_steps(WORD.encode("utf-8"), tokenizer.ranks) for _, tokenizer in columns]
    n_rows = max(len(s) for s in steps)
    cell_w, row_h, col_w = 0.46, 0.5, 5.2
    fig, ax = new_figure(2 * col_w + 0.4, n_rows * row_h + 1.2)
    for c, ((title, _), column) in enumerate(zip(columns, steps, strict=True)):
        x0 = 0.3 + c * (col_w + 0.2)
        ax.text(x0 + 0.1, n_rows * row_h + 0.75, title, ha="left", va="center", fontsize=11, fontweight="bold")
        for r, parts in enumerate(column):
            y = (n_rows - 1 - r) * row_h + 0.35
            # la pieza recién fusionada: la primera que cambia respecto al paso anterior
            merged = next((i for i, p in enumerate(parts) if p != column[r - 1][i]), None) if r else None
            x = x0 + 0.9
            ax.text(x0 + 0.1, y + row_h * 0.4, f"{r}" if r else "bytes", ha="left", va="center", fontsize=9.5,
                    color=EDGE)
            for i, part in enumerate(parts):
                w = cell_w * len(part)
                kind = "destacado" if i == merged else "texto"
                box(ax, x, y, w - 0.05, row_h * 0.8, label(part), kind, fontsize=9.5)
                x += w
        n_merges, n_tokens = len(column) - 1, len(column[-1])
        ax.text(x0 + 0.9, -0.15, f"{n_merges} fusiones, {n_tokens} token{'s' if n_tokens > 1 else ''}", ha="left",
                va="center",
                fontsize=10.5, color=COLORS["destacado"], fontweight="bold")
    return fig


FIGURES = {
    "11_del_texto_a_los_ids.png": del_texto_a_los_ids,
    "11_fusiones_paso_a_paso.png": fusiones_paso_a_paso,
}
