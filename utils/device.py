"""Elegir dónde se entrena: la GPU de NVIDIA (cuda), la de Apple (mps) o el procesador (cpu).

    from utils.device import pick_device
    device = pick_device()          # "auto": cuda si hay, si no mps, si no cpu
    model = GPTModel(cfg).to(device)

Con varios procesos (torchrun), cada uno usa la GPU de su LOCAL_RANK, y los gradientes viajan con
nccl entre GPU de NVIDIA o con gloo entre procesadores (ddp_backend).
"""

import os

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available():
    """Dice si PyTorch puede usar la GPU de un Mac con chip de Apple (mps)."""
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def pick_device(name="auto"):
    """Devuelve el torch.device en el que entrenar; con "auto", cuda, si no mps, si no cpu.

    Con varios procesos de torchrun, "cuda" es la GPU número LOCAL_RANK de esta máquina.

    Parámetros:
        name: "auto", "cpu", "cuda" o "mps".

    Devuelve:
        un torch.device.
    """
    if name not in DEVICE_CHOICES:
        raise ValueError(f"El dispositivo {name!r} no existe; elige uno de {', '.join(DEVICE_CHOICES)}.")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                "Pediste cuda, pero PyTorch no ve ninguna GPU de NVIDIA (falta la GPU, el controlador o una "
                "versión de PyTorch con CUDA); usa --device auto o --device cpu."
            )
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if local_rank >= torch.cuda.device_count():
            raise RuntimeError(
                f"El proceso {local_rank} de torchrun necesita la GPU {local_rank}, pero solo hay "
                f"{torch.cuda.device_count()}; lanza como mucho --nproc_per_node={torch.cuda.device_count()}."
            )
        return torch.device("cuda", local_rank)
    if name == "mps" and not mps_available():
        raise RuntimeError(
            "Pediste mps, pero PyTorch no ve la GPU de Apple (solo existe en un Mac con chip de Apple y "
            "macOS 12.3 o posterior); usa --device auto o --device cpu."
        )
    return torch.device(name)


def ddp_backend(device):
    """Devuelve el backend de torch.distributed para device: "nccl" con cuda, "gloo" con cpu.

    mps no tiene backend distribuido: con varios procesos en un Mac, se entrena en la cpu.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return "nccl"
    if device.type == "cpu":
        return "gloo"
    raise RuntimeError(
        f"torch.distributed no puede repartir el entrenamiento entre procesos en {device.type}; "
        "con varios procesos usa --device cpu (o cuda si hay GPU de NVIDIA)."
    )
