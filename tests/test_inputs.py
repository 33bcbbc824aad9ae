import json

import pytest

from fdacli.core.run.inputs import collect_videos
from fdacli.core.run.records import RecordError


def test_folder_ids_are_relative_paths(tmp_path):
    for rel in ["happy/a.mp4", "sad/a.mp4", "sad/notes.txt", "b.MKV"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    items = collect_videos([tmp_path])
    assert [i.id for i in items] == ["b", "happy/a", "sad/a"]


def test_duplicate_stems_are_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    with pytest.raises(RecordError, match="share the id 'a'"):
        collect_videos([tmp_path / "x" / "a.mp4", tmp_path / "y" / "a.mp4"])
    assert len(collect_videos([tmp_path / "x" / "a.mp4", tmp_path / "x" / "a.mp4"])) == 1


def test_manifest_paths_and_trims(tmp_path):
    m = tmp_path / "sub" / "manifest.jsonl"
    m.parent.mkdir()
    m.write_text(json.dumps({"id": "c1", "video": "clips/c1.mp4", "start": 1.0, "end": 3.5, "label": "happy"}) + "\n")
    (item,) = collect_videos([], manifest=m)
    assert item.video == str(m.parent / "clips" / "c1.mp4")
    assert (item.start, item.end, item.extra) == (1.0, 3.5, {"label": "happy"})


def test_manifest_errors_name_the_line(tmp_path):
    m = tmp_path / "manifest.jsonl"
    m.write_text('{"id": "a", "video": "a.mp4"}\n{"id": "b", "video": "b.mp4", "start": 3, "end": 1}\n')
    with pytest.raises(RecordError, match=r"manifest\.jsonl:2: 'end'"):
        collect_videos([m])
    m.write_text('{"id": "a"}\n')
    with pytest.raises(RecordError, match=r"manifest\.jsonl:1: missing required field 'video'"):
        collect_videos([m])


def test_manifest_rejects_non_finite_times(tmp_path):
    m = tmp_path / "manifest.jsonl"
    m.write_text('{"id": "a", "video": "a.mp4", "start": NaN}\n')
    with pytest.raises(RecordError, match="finite number"):
        collect_videos([m])


def test_ids_cannot_escape_output_folders():
    from fdacli.core.run.inputs import safe_relpath

    assert safe_relpath("../../etc/x").startswith("etc/x~")
    assert safe_relpath("/abs/clip").startswith("abs/clip~")
    assert safe_relpath("happy/c1") == "happy/c1"  # a clean relative id is its own path
    assert safe_relpath("..").startswith("_~")
    # ids that clean to one path never share it (crops, contact sheets, saved grids)
    ids = ["DFEW/0001", "DFEW\\0001", "DFEW//0001", "x", "./x", "../x", "/x"]
    assert len({safe_relpath(i) for i in ids}) == len(ids)
    assert all(".." not in safe_relpath(i).split("/") and not safe_relpath(i).startswith("/") for i in ids)
