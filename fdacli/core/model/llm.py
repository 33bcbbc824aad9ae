"""The language model: any Hugging Face causal LM, its tokenizer, LoRA on its linear layers, and the
conversion of a llama.cpp GGUF file into an ordinary local model folder."""

from __future__ import annotations

from pathlib import Path

import torch

from fdacli.core.model.vision import config_source, hub_kwargs

ATTN_IMPLEMENTATIONS = ("sdpa", "flash_attention_2", "eager")


def load_llm(name: str, dtype: torch.dtype = torch.float32, attn_implementation: str = "sdpa", empty: bool = False):
    """``empty``: the architecture alone, from the config (weights are not read)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    if attn_implementation not in ATTN_IMPLEMENTATIONS:
        raise ValueError(f"attn_implementation must be one of {', '.join(ATTN_IMPLEMENTATIONS)}")
    if empty:
        src = config_source(name, empty)
        cfg = AutoConfig.from_pretrained(src, **hub_kwargs(src))
        return AutoModelForCausalLM.from_config(cfg, dtype=dtype, attn_implementation=attn_implementation)
    return AutoModelForCausalLM.from_pretrained(name, dtype=dtype, attn_implementation=attn_implementation, **hub_kwargs(name))


def load_tokenizer(name: str, offline: bool = False):
    """``offline``: only what is on this machine (a local folder or the hub cache); None when absent."""
    from transformers import AutoTokenizer

    if offline and not Path(name).is_dir():
        try:
            tok = AutoTokenizer.from_pretrained(name, local_files_only=True)
        except (OSError, ValueError):
            return None
    else:
        tok = AutoTokenizer.from_pretrained(name, **hub_kwargs(name))
    if tok.pad_token is None:  # Mistral and Llama ship without one; padding is masked anyway
        tok.pad_token = tok.unk_token or tok.eos_token
    return tok


def lora_config(r: int, alpha: int, dropout: float):
    """LoRA on every linear layer except the output head (peft's "all-linear" leaves lm_head out)."""
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules="all-linear", bias="none", task_type="CAUSAL_LM")


def export_gguf(gguf_path: str | Path, out_dir: str | Path, dtype: torch.dtype = torch.float32) -> Path:
    """Dequantise a GGUF checkpoint into a safetensors model folder with its tokenizer and chat template,
    so it can serve as a local base LLM (training needs real, differentiable weights)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    if not gguf_path.is_file():
        raise FileNotFoundError(f"GGUF file not found: {gguf_path}")
    kw = {"gguf_file": gguf_path.name, "local_files_only": True}
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), dtype=dtype, **kw)
    # The weights are dequantised on load; drop the GGUF marker so the model saves as a plain checkpoint.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    return out_dir
