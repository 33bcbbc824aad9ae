"""Optional parts of the install: a command that needs one says which extra to install, before any work.

The base install (`pip install fdacli`) has no torch; the stages that need it are extras in
pyproject.toml.  Checks use import specs, not imports, so they cost nothing when the extra is there.
"""

from __future__ import annotations

import importlib.util

from fdacli.commands.display import fail

EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("torch", "torchvision", "accelerate", "transformers", "peft", "timm", "safetensors"),
    "mtcnn": ("torch", "torchvision", "facenet_pytorch"),
    "actions": ("dlib", "face_recognition_models"),
    "review": ("av",),
}


def missing(extra: str) -> list[str]:
    """The modules of an extra that cannot be imported here."""
    out = []
    for name in EXTRAS[extra]:
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):
            out.append(name)
    return out


def require(extra: str, what: str, hint: str = "") -> None:
    """Stop with one line naming the extra when ``what`` (e.g. "fda finetune") cannot run here; ``hint`` names
    another way to the same result ("or ...")."""
    gone = missing(extra)
    if gone:
        fail(f"{what} needs the [{extra}] extra: pip install 'fdacli[{extra}]' (not installed: {', '.join(gone)})"
             + (f"; {hint}" if hint else ""))
