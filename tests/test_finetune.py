"""`fda finetune` and `fda caption` on CPU: a real small LLM (SmolLM2-135M), a tiny random CLIP tower, real
clips tracked by `fda track`.  Overfitting, checkpoint → resume, checkpoint → caption, 2 processes under
accelerate against one, and bad samples."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

FDA = [sys.executable, "-m", "fdacli.cli"]
pytestmark = pytest.mark.slow  # real training steps on CPU: minutes
ENV = {**os.environ, "COLUMNS": "200"}


def fda(*args, timeout=600):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV)


def common(smol_base, tiny_tower, ft_data):
    return ["--llm", smol_base, "--vision-tower", tiny_tower, "--num-frames", "4", "--lora-r", "8", "--lora-alpha", "16",
            "--lr", "2e-3", "--projector-lr", "2e-3", "--warmup-ratio", "0", "--num-workers", "0",
            "--no-gradient-checkpointing", "--tracks", ft_data["tracks"]]


def state(folder):
    return json.loads((folder / "trainer_state.json").read_text())


def subset(ft_data, tmp_path, ids, name="train.jsonl"):
    lines = [l for l in ft_data["train"].read_text().splitlines() if json.loads(l)["id"] in ids]
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.fixture(scope="module")
def overfit_run(tmp_path_factory, smol_base, tiny_tower, ft_data):
    """6 steps on two clips, a checkpoint every 3 steps."""
    d = tmp_path_factory.mktemp("run")
    train = subset(ft_data, d, {"one", "two"})
    out = d / "out"
    p = fda("finetune", train, "-o", out, *common(smol_base, tiny_tower, ft_data), "--batch-size", "2",
            "--per-device-batch-size", "1", "--max-steps", "6", "--epochs", "10", "--save-steps", "3")
    assert p.returncode == 0, p.stderr[-3000:]
    return {"dir": d, "train": train, "out": out, "stderr": p.stderr}


def test_loss_falls_on_a_tiny_overfit_set_and_everything_is_saved(overfit_run):
    out = overfit_run["out"]
    losses = state(out)["losses"]
    assert len(losses) == 6
    assert losses[-1] < 0.6 * losses[0], losses
    for name in ("config.json", "projectors.safetensors", "adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                 "tokenizer/tokenizer.json", "training_state/optimizer.bin", "training_state/scheduler.bin",
                 "training_state/random_states_0.pkl", "train_args.json"):
        assert (out / "checkpoint-3" / name).is_file(), name
        assert (out / name).is_file(), name
    assert not list(out.glob("*.tmp"))
    assert not list(out.rglob("model*.safetensors")) and not list(out.rglob("pytorch_model*"))  # no frozen base weights
    assert list((out / "runs").rglob("events.out.tfevents.*"))  # TensorBoard
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["adapter"] == "adapter" and cfg["num_frames"] == 4
    adapter = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and adapter["lora_alpha"] == 16 and "lm_head" not in str(adapter["target_modules"])
    assert "loss" in overfit_run["stderr"] and "tok/s" in overfit_run["stderr"]


def test_resume_from_a_checkpoint_reproduces_the_uninterrupted_run(overfit_run, tmp_path, smol_base, tiny_tower, ft_data):
    out = tmp_path / "resumed"
    out.mkdir()
    shutil.copytree(overfit_run["out"] / "checkpoint-3", out / "checkpoint-3")  # as if killed after step 4 began
    p = fda("finetune", overfit_run["train"], "-o", out, *common(smol_base, tiny_tower, ft_data), "--batch-size", "2",
            "--per-device-batch-size", "1", "--max-steps", "6", "--epochs", "10", "--save-steps", "3")
    assert p.returncode == 0, p.stderr[-3000:]
    assert "resuming from" in p.stderr
    a, b = state(overfit_run["out"])["losses"], state(out)["losses"]
    assert a[:3] == b[:3] and b[3:] == pytest.approx(a[3:], rel=1e-4)
    for name in ("projectors.safetensors", "adapter/adapter_model.safetensors"):
        wa, wb = load_file(overfit_run["out"] / name), load_file(out / name)
        assert wa.keys() == wb.keys()
        assert all(torch.allclose(wa[k], wb[k], atol=1e-5) for k in wa)
    # a finished run is not silently trained again; other settings are refused on resume
    again = fda("finetune", overfit_run["train"], "-o", out, *common(smol_base, tiny_tower, ft_data), "--batch-size", "2",
                "--per-device-batch-size", "1", "--max-steps", "6", "--epochs", "10")
    assert again.returncode == 2 and "already holds a finished training run" in again.stderr
    other = fda("finetune", overfit_run["train"], "-o", out, *common(smol_base, tiny_tower, ft_data)[:-2], "--batch-size", "2",
                "--per-device-batch-size", "1", "--max-steps", "6", "--epochs", "10", "--resume", out / "checkpoint-3",
                "--lora-r", "4")
    assert other.returncode == 2 and "lora_r: 8 → 4" in other.stderr


class _Payload:
    """A pickle that would run code when unpickled (writes a marker file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_from_someone_else_cannot_run_code(overfit_run, tmp_path, smol_base, tiny_tower, ft_data):
    out = tmp_path / "hostile"
    out.mkdir()
    shutil.copytree(overfit_run["out"] / "checkpoint-3", out / "checkpoint-3")
    marker = tmp_path / "pwned"
    for name in ("optimizer.bin", "random_states_0.pkl"):
        torch.save({"state": _Payload(marker)}, out / "checkpoint-3" / "training_state" / name)
    p = fda("finetune", overfit_run["train"], "-o", out, *common(smol_base, tiny_tower, ft_data), "--batch-size", "2",
            "--per-device-batch-size", "1", "--max-steps", "6", "--epochs", "10", "--save-steps", "3")
    assert not marker.exists(), "unpickling the checkpoint ran code"
    assert p.returncode == 2 and "cannot resume from" in p.stderr and "Traceback" not in p.stderr, p.stderr[-2000:]


def test_any_checkpoint_captions_and_the_output_resumes(overfit_run, ft_data):
    preds = overfit_run["dir"] / "preds.jsonl"
    args = [ft_data["one"], ft_data["two"], "-m", overfit_run["out"] / "checkpoint-3", "--tracks", ft_data["tracks"],
            "-o", preds, "--max-new-tokens", "12", "--batch-size", "2"]
    p = fda("caption", *args)
    assert p.returncode == 0, p.stderr[-3000:]
    recs = [json.loads(l) for l in preds.read_text().splitlines()]
    assert sorted(r["id"] for r in recs) == ["one", "two"]
    for r in recs:
        assert r["status"] == "ok" and r["caption"].strip() and r["model"] == "out/checkpoint-3"
        assert set(r) >= {"id", "video", "caption", "model"}
    again = fda("caption", *args)
    assert again.returncode == 0 and "2 clip(s) already done" in again.stderr
    assert len(preds.read_text().splitlines()) == 2
    # one clip on stdout, tracked on the fly (no --tracks), from the final model
    single = fda("caption", ft_data["one"], "-m", overfit_run["out"], "--max-new-tokens", "8")
    assert single.returncode == 0, single.stderr[-3000:]
    assert single.stdout.strip() and "\t" not in single.stdout


def test_caption_reports_bad_videos_per_clip(overfit_run, ft_data, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    preds = tmp_path / "p.jsonl"
    p = fda("caption", ft_data["one"], bad, tmp_path / "missing.mp4", "-m", overfit_run["out"], "-o", preds,
            "--max-new-tokens", "4", "--batch-size", "3")
    assert p.returncode == 1
    recs = {r["id"]: r for r in map(json.loads, preds.read_text().splitlines())}
    assert recs["one"]["status"] == "ok"
    assert recs["broken"]["status"] == "error" and recs["missing"]["status"] == "error"
    assert "not found" in recs["missing"]["error"]
    p = fda("caption", ft_data["one"], "-o", preds)  # no model: the timeline backend, which the model's output refuses
    assert p.returncode == 2 and "no --model given" in p.stderr and "other settings" in p.stderr
    p = fda("caption", ft_data["one"], "-m", tmp_path / "nowhere")
    assert p.returncode == 2 and "not found" in p.stderr


def test_two_processes_follow_the_single_process_loss_curve(tmp_path, smol_base, tiny_tower, ft_data):
    train = subset(ft_data, tmp_path, {"one", "two", "carphone"})
    args = [*common(smol_base, tiny_tower, ft_data), "--batch-size", "2", "--per-device-batch-size", "1", "--max-steps", "3",
            "--lora-dropout", "0", "--save-steps", "0"]
    one = fda("finetune", train, "-o", tmp_path / "one", *args)
    assert one.returncode == 0, one.stderr[-3000:]
    two = fda("finetune", train, "-o", tmp_path / "two", *args, "--gpus", "2")
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = state(tmp_path / "one")["losses"], state(tmp_path / "two")["losses"]
    assert state(tmp_path / "two")["world_size"] == 2
    assert b == pytest.approx(a, rel=1e-3), (a, b)


def test_a_bad_sample_stops_the_run_with_its_id_unless_skipped(tmp_path, smol_base, tiny_tower, ft_data):
    lines = ft_data["train"].read_text().splitlines()[:2]
    broken = json.loads(lines[1])
    broken["id"], broken["video"] = "ghost", str(tmp_path / "ghost.mp4")
    train = tmp_path / "train.jsonl"
    train.write_text(lines[0] + "\n" + json.dumps(broken) + "\n")
    args = [*common(smol_base, tiny_tower, ft_data), "--batch-size", "2", "--per-device-batch-size", "2", "--max-steps", "1"]
    p = fda("finetune", train, "-o", tmp_path / "a", *args)
    assert p.returncode == 1 and "'ghost' failed to load" in p.stderr and "file not found" in p.stderr
    p = fda("finetune", train, "-o", tmp_path / "b", *args, "--skip-bad")
    assert p.returncode == 0, p.stderr[-3000:]
    assert state(tmp_path / "b")["skipped"][0][0] == "ghost"
    assert "ghost" in p.stderr


def test_malformed_training_data_is_refused_with_file_and_line(tmp_path, ft_data):
    good = ft_data["train"].read_text().splitlines()[0]
    train = tmp_path / "t.jsonl"
    train.write_text(good + "\n{broken\n")
    p = fda("finetune", train, "-o", tmp_path / "o")
    assert p.returncode == 2 and f"{train}:2" in p.stderr
    rec = json.loads(good)
    rec["conversations"][0]["value"] = "no video tag here"
    train.write_text(json.dumps(rec) + "\n")
    p = fda("finetune", train, "-o", tmp_path / "o")
    assert p.returncode == 2 and f"{train}:1" in p.stderr and "<video>" in p.stderr
    p = fda("finetune", tmp_path / "none.jsonl", "-o", tmp_path / "o")
    assert p.returncode == 2 and "not found" in p.stderr
    p = fda("finetune", ft_data["train"], "-o", tmp_path / "o", "--batch-size", "3", "--per-device-batch-size", "2", "--dry-run",
            "--llm", "x", "--vision-tower", "y")
    assert p.returncode == 2
