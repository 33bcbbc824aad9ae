"""FaceTrack-MM's parts: STC shapes and token counts, prompt masking, loading, the --dry-run plan."""

import json
import subprocess
import sys

import pytest
import torch

from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.connector import FaceProjector, MLPConnector, STCConnector
from fdacli.core.model import prompting

FDA = [sys.executable, "-m", "fdacli.cli"]


def test_stc_turns_16_frames_of_24x24_patches_into_9x13x13_tokens():
    stc = STCConnector(in_dim=16, out_dim=24, depth=4)
    out = stc(torch.randn(2, 16, 576, 16))
    assert out.shape == (2, 9 * 13 * 13, 24) == (2, 1521, 24)
    assert FaceTrackMMConfig(num_frames=16).video_tokens(24) == 1521
    # time and space are mixed: changing one frame changes tokens of its temporal neighbourhood only
    x = torch.randn(1, 16, 576, 16)
    y = x.clone()
    y[:, 15] += 1.0
    stc.eval()
    with torch.no_grad():
        d = (stc(x) - stc(y)).abs().reshape(9, 169, 24).sum((1, 2))
    assert d[0] == 0 and d[-1] > 0


def test_mlp_connector_and_face_projector_token_counts():
    assert MLPConnector(16, 24, pool=4)(torch.randn(1, 16, 576, 16)).shape == (1, 16 * 36, 24)
    assert FaceTrackMMConfig(connector="mlp", mlp_pool=4).video_tokens(24) == 16 * 36
    assert FaceProjector(16, 24, pool=2)(torch.randn(3, 16, 576, 16)).shape == (3, 64, 24)
    assert FaceTrackMMConfig().face_tokens() == 64 and FaceTrackMMConfig(face_encoder="none").face_tokens() == 0


def test_conversation_masks_everything_but_the_reply(smol_base):
    from fdacli.core.model.llm import load_tokenizer

    tok = load_tokenizer(str(smol_base))
    conv = [{"from": "human", "value": "<video>\nDescribe the face."}, {"from": "gpt", "value": "He smiles, then frowns."}]
    ids, labels = prompting.encode(tok, conv)
    assert ids.count(prompting.VIDEO_TOKEN) == 1 and len(ids) == len(labels)
    target = tok.decode([t for t in labels if t != prompting.IGNORE])
    assert target.startswith("He smiles, then frowns.") and "<|im_end|>" in target  # the model learns to stop
    assert "Describe the face" not in target
    prompt_ids, _ = prompting.encode(tok, conv, train=False)
    text = tok.decode([t for t in prompt_ids if t >= 0])
    assert text.rstrip().endswith("assistant") and "He smiles" not in text
    with pytest.raises(ValueError, match="exactly one <video>"):
        prompting.encode(tok, [{"from": "human", "value": "no tag"}, {"from": "gpt", "value": "x"}])


def test_build_save_load_round_trip_gives_the_same_logits(tmp_path, smol_base, tiny_tower):
    from fdacli.core.model import checkpoint as ckpt
    from fdacli.core.model.facetrack_mm import Batch
    from fdacli.core.model.llm import load_tokenizer

    cfg = FaceTrackMMConfig(llm=str(smol_base), vision_tower=str(tiny_tower), num_frames=4)
    model, tok = ckpt.build(cfg)
    ckpt.add_lora(model, 4, 8, 0.0)
    for p in model.llm.parameters():  # make the adapter non-trivial
        if p.requires_grad:
            p.data.normal_(0, 0.02)
    ckpt.save(model, tok, tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["model_type"] == "facetrack-mm" and saved["adapter"] == "adapter" and saved["image_size"] == 48
    loaded, _ = ckpt.load(tmp_path / "m")
    ids, labels = prompting.encode(load_tokenizer(str(smol_base)), [{"from": "human", "value": "<video>\nHi"}, {"from": "gpt", "value": "Hello."}])
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 255, (1, 4, 48, 48, 3), dtype=torch.uint8, generator=g)
    batch = Batch(frames, frames.clone(), [torch.tensor(ids)], [torch.tensor(labels)])
    model.eval(), loaded.eval()
    with torch.no_grad():
        a, b = model(batch)[0], loaded(batch)[0]
    assert torch.allclose(a, b, atol=1e-5)
    merged = ckpt.merge(tmp_path / "m", tmp_path / "merged")
    assert json.loads((merged / "config.json").read_text())["adapter"] is None
    m2, _ = ckpt.load(merged)
    m2.eval()
    with torch.no_grad():
        assert torch.allclose(m2(batch)[0], a, atol=1e-4)


def test_load_refuses_a_folder_that_is_not_a_checkpoint(tmp_path):
    from fdacli.core.model import checkpoint as ckpt

    with pytest.raises(FileNotFoundError, match="not a FaceTrack-MM checkpoint"):
        ckpt.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ValueError, match="model_type"):
        ckpt.load(tmp_path)


def test_dry_run_plans_the_papers_7b_model_without_weights(tmp_path, ft_data, smol_base):
    """Mistral-7B and CLIP ViT-L/14-336 shapes from their configs alone, on the meta device."""
    import shutil

    from transformers import CLIPVisionConfig, MistralConfig

    llm, tower = tmp_path / "mistral-7b-shape", tmp_path / "clip-l-336-shape"
    MistralConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=8, vocab_size=32000).save_pretrained(llm)
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(smol_base / f, llm / f)
    CLIPVisionConfig(image_size=336, patch_size=14, hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                     num_attention_heads=16).save_pretrained(tower)
    p = subprocess.run([*FDA, "finetune", str(ft_data["train"]), "-o", str(tmp_path / "out"), "--llm", str(llm),
                        "--vision-tower", str(tower), "--gpus", "8", "--per-device-batch-size", "4", "--dry-run"],
                       capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "COLUMNS": "200"})
    assert p.returncode == 0, p.stderr
    out = p.stderr
    assert "1585 visual (1521 video + 64 face)" in out
    assert "connector parameters" in out and "489.2 M trainable" in out
    assert "4 per device × 8 process(es) × 1 accumulation" in out
    assert "r 64, alpha 128" in out
    assert not (tmp_path / "out").exists()


def test_dry_run_of_the_papers_default_models_works_offline(tmp_path, ft_data):
    """The default models' configs ship with the package: no hub, no wait; a missing model is one line."""
    env = {**__import__("os").environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([*FDA, "finetune", str(ft_data["train"]), "-o", str(tmp_path / "out"), "--gpus", "8",
                        "--per-device-batch-size", "4", "--dry-run"], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    assert "489.2 M trainable" in p.stderr and "1585 visual (1521 video + 64 face)" in p.stderr
    assert "167.8 M trainable, 7,241.7 M frozen" in p.stderr  # Mistral-7B with LoRA r64 on every linear layer
    q = subprocess.run([*FDA, "finetune", str(ft_data["train"]), "-o", str(tmp_path / "out"), "--llm", "nobody/no-such-model",
                        "--dry-run"], capture_output=True, text=True, timeout=300, env=env)
    assert q.returncode == 2 and "--llm DIR --vision-tower DIR" in q.stderr and "Traceback" not in q.stderr
    assert len([ln for ln in q.stderr.splitlines() if ln.strip()]) <= 3, q.stderr
