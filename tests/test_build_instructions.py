"""`fda build-instructions` on the real FEC-Bench references."""

import json
import os
import subprocess
import sys
from pathlib import Path

from fdacli.core.dataset.instructions import strip_inferences
from fdacli.core.model.instructions import INSTRUCTIONS

DATA = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"


def fda(*args):
    return subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "150"}, timeout=300)


def lines(p):
    return [json.loads(x) for x in Path(p).read_text().splitlines()]


def test_conversation_format_split_and_determinism(tmp_path):
    p = fda("build-instructions", DATA, "-o", tmp_path / "train.jsonl", "--test-out", tmp_path / "test.jsonl", "--test-size", "0.2")
    assert p.returncode == 0, p.stderr
    train, test = lines(tmp_path / "train.jsonl"), lines(tmp_path / "test.jsonl")
    assert len(train) + len(test) == 60 and 4 <= len(test) <= 20
    assert not {r["id"] for r in train} & {r["id"] for r in test}
    s = train[0]
    human, gpt = s["conversations"]
    assert human["from"] == "human" and human["value"].startswith("<video>\n")
    assert human["value"][len("<video>\n"):] in INSTRUCTIONS and gpt["from"] == "gpt" and gpt["value"]
    assert s["video"].endswith(".mp4")
    assert len({r["instruction_index"] for r in train + test}) > 10  # phrasings vary across samples
    # same seed, reversed input order: the same instruction and the same split for every id
    rev = tmp_path / "rev.json"
    rev.write_text(json.dumps(json.loads(DATA.read_text())[::-1]))
    fda("build-instructions", rev, "-o", tmp_path / "t2.jsonl", "--test-out", tmp_path / "s2.jsonl", "--test-size", "0.2")
    assert {r["id"]: r["instruction_index"] for r in train} == {r["id"]: r["instruction_index"] for r in lines(tmp_path / "t2.jsonl")}
    assert {r["id"] for r in test} == {r["id"] for r in lines(tmp_path / "s2.jsonl")}
    fda("build-instructions", DATA, "-o", tmp_path / "t3.jsonl", "--test-out", tmp_path / "s3.jsonl", "--test-size", "0.2", "--seed", "7")
    assert {r["id"] for r in test} != {r["id"] for r in lines(tmp_path / "s3.jsonl")}


def test_inferences_structured_records_tracks_and_bad_records(tmp_path):
    ann = tmp_path / "ann.jsonl"
    rows = [
        {"id": "a", "video": "MAFW/clips/a.mp4", "caption": "His eyebrows are raised, [expressing a sense of pleasure]. He smiles."},
        {"id": "b", "video": "DFEW/b.mp4", "attributes": "A young woman with long hair.",
         "facial_changes": "She opens her mouth [in surprise] and blinks.", "summary": "She seems surprised."},
        {"id": "c", "video": "x/c.mp4"},
        {"id": "d", "video": "x/d.mp4", "caption": "[She is only guessed about.]"},
        {"id": "a", "video": "dup.mp4", "caption": "duplicate"},
    ]
    ann.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text(json.dumps({"id": "a", "video": "a.mp4", "status": "ok", "fps": 25.0, "num_frames": 100, "key_frames": [0, 5],
                                  "key_frame_boxes": [[1, 2, 3, 4], None], "main_track_ids": [1]}) + "\n"
                      + json.dumps({"id": "b", "video": "b.mp4", "status": "error", "error": "no faces"}) + "\n")  # a failed one
    p = fda("build-instructions", ann, "-o", tmp_path / "o.jsonl", "--tracks", tracks, "--stats")
    assert p.returncode == 0, p.stderr
    out = {r["id"]: r for r in lines(tmp_path / "o.jsonl")}
    assert set(out) == {"a", "b"}
    assert out["a"]["conversations"][1]["value"] == "His eyebrows are raised. He smiles."
    assert out["b"]["conversations"][1]["value"] == "A young woman with long hair.\nShe opens her mouth and blinks."
    assert out["a"]["key_frames"] == [0, 5] and out["a"]["key_frame_boxes"][1] is None
    assert "ann.jsonl:3 (c): no caption" in p.stderr and "ann.jsonl:5 (a): duplicate id" in p.stderr
    assert "ann.jsonl:4 (d): nothing left after removing [inferences]" in p.stderr
    assert "MAFW" in p.stderr and "tokens/caption" in p.stderr
    p = fda("build-instructions", ann, "-o", tmp_path / "k.jsonl", "--keep-inferences", "--with-summary")
    kept = {r["id"]: r for r in lines(tmp_path / "k.jsonl")}
    assert "[expressing" in kept["a"]["conversations"][1]["value"] and "seems surprised" in kept["b"]["conversations"][1]["value"]
    ann.write_text('{"id": "a", "video": "v.mp4", "caption": "x"}\n{"id": \n')
    p = fda("build-instructions", ann, "-o", tmp_path / "o.jsonl")
    assert p.returncode == 2 and "ann.jsonl:2" in p.stderr
    tracks.write_text(json.dumps({"id": "b", "status": "ok", "fps": 25.0}) + "\n")  # a record of no known shape
    p = fda("build-instructions", tmp_path / "k.jsonl", "-o", tmp_path / "o2.jsonl", "--tracks", tracks)
    assert p.returncode == 2 and "tracks.jsonl:1: not an `fda track` record" in p.stderr


def test_strip_inferences():
    assert strip_inferences("He smiles [happily], then frowns [annoyed].") == "He smiles, then frowns."
    assert strip_inferences("[All inference.] Eyes open.") == "Eyes open."
    assert strip_inferences("[happy [very]] He smiles.") == "He smiles."  # nested spans leave nothing behind
    assert strip_inferences("A, [b], c.") == "A, c."
    assert strip_inferences("Line one.\n[inf] Line two") == "Line one.\nLine two"  # lines are kept apart
    assert strip_inferences("[only an inference]") == ""


def test_stats_plot(tmp_path):
    p = fda("build-instructions", DATA, "--stats", "--plot", tmp_path / "plots")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "plots" / "tokens.png").stat().st_size > 1000 and (tmp_path / "plots" / "keywords.png").exists()


def test_test_size_as_a_count(tmp_path):
    def ids(p):
        return [json.loads(x)["id"] for x in p.read_text().splitlines()]

    p = fda("build-instructions", DATA, "-o", tmp_path / "train.jsonl", "--test-out", tmp_path / "test.jsonl", "--test-size", "10")
    assert p.returncode == 0, p.stderr
    test, train = ids(tmp_path / "test.jsonl"), ids(tmp_path / "train.jsonl")
    assert len(test) == 10 and not set(test) & set(train) and len(test) + len(train) == len(json.loads(DATA.read_text()))
    again = fda("build-instructions", DATA, "-o", tmp_path / "t2.jsonl", "--test-out", tmp_path / "s2.jsonl", "--test-size", "10")
    assert again.returncode == 0 and sorted(ids(tmp_path / "s2.jsonl")) == sorted(test)  # deterministic
    for bad in ("2.5", "100000"):
        q = fda("build-instructions", DATA, "-o", tmp_path / "x.jsonl", "--test-out", tmp_path / "y.jsonl", "--test-size", bad)
        assert q.returncode == 2 and ("--test-size" in q.stderr or "leaves no training clip" in q.stderr), q.stderr
