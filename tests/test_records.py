import json

import pytest

from fdacli.core.run.records import RecordError, ResumableWriter, error_record, read_jsonl


def test_read_jsonl_reports_file_and_line(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a"}\n\n{"id": "b"}\n{"id": "c", oops}\n')
    with pytest.raises(RecordError, match=r"in\.jsonl:4: not valid JSON"):
        list(read_jsonl(p))


def test_read_jsonl_missing_field_and_non_object(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a"}\n{"video": "x.mp4"}\n')
    with pytest.raises(RecordError, match=r"in\.jsonl:2: missing required field 'id'"):
        list(read_jsonl(p))
    p.write_text('[1, 2]\n')
    with pytest.raises(RecordError, match="item 1: expected a JSON object"):
        list(read_jsonl(p))


def test_read_json_array_and_int_ids(tmp_path):
    p = tmp_path / "refs.json"
    p.write_text(json.dumps([{"id": 7, "caption": "x"}, {"id": "8", "caption": "y"}]))
    recs = [r for _, r in read_jsonl(p)]
    assert [r["id"] for r in recs] == ["7", "8"]


def test_missing_file(tmp_path):
    with pytest.raises(RecordError, match="no such file"):
        list(read_jsonl(tmp_path / "nope.jsonl"))


def test_writer_resumes_and_skips_done_ids(tmp_path):
    out = tmp_path / "o.jsonl"
    with ResumableWriter(out) as w:
        assert w.write({"id": "a", "status": "ok"})
        assert w.write({"id": "b", "status": "ok"})
        assert not w.write({"id": "a", "status": "ok"})
    with ResumableWriter(out) as w:
        assert w.done == {"a", "b"}
        assert not w.write({"id": "b", "status": "ok"})
        assert w.write({"id": "c", "status": "ok"})
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b", "c"]


def test_writer_repairs_a_torn_last_line(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text('{"id":"a","status":"ok"}\n{"id":"b","sta')  # killed mid-write
    w = ResumableWriter(out)
    assert w.done == {"a"} and w.torn_lines == 1
    w.write({"id": "b", "status": "ok"})
    w.close()
    lines = out.read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b"]


def test_writer_refuses_a_file_that_is_not_its_output(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text('{"id":"a"}\nthis is a CSV, not our output\n{"id":"b"}\n')
    with pytest.raises(RecordError, match=r"o\.jsonl:2: not a record"):
        ResumableWriter(out)
    assert "CSV" in out.read_text()  # nothing deleted


def test_retry_errors_and_overwrite(tmp_path):
    out = tmp_path / "o.jsonl"
    with ResumableWriter(out) as w:
        w.write({"id": "a", "status": "ok"})
        w.write(error_record("b", ValueError("bad\nthing")))
    assert json.loads(out.read_text().splitlines()[1])["error"] == "ValueError: bad thing"
    with ResumableWriter(out, retry_errors=True) as w:
        assert w.done == {"a"}
    with ResumableWriter(out, overwrite=True) as w:
        assert w.done == set()
    assert not out.exists()  # a run that writes nothing leaves no empty file


def test_nan_is_refused(tmp_path):
    with ResumableWriter(tmp_path / "o.jsonl") as w, pytest.raises(ValueError):
        w.write({"id": "a", "x": float("nan")})


def test_inputs_that_are_not_jsonl_get_one_clear_line(tmp_path):
    bad = {
        "video.mp4": (b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4, "not a JSON/JSONL file"),
        "latin1.jsonl": ('{"id": "a", "caption": "caf\xe9"}\n'.encode("latin-1"), "latin1.jsonl:1: not UTF-8 text at column 28"),
        "broken.jsonl": (b'{"id": "a"}\n{"id": "b", "caption": "abc\n', "broken.jsonl:2: not valid JSON at column 28: Invalid control character (a JSONL"),
        "deep.jsonl": (b'{"id": "a", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}\n", "deep.jsonl:1: JSON nested too deeply"),
    }
    for name, (data, message) in bad.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(RecordError) as e:
            list(read_jsonl(tmp_path / name))
        assert message in str(e.value) and " at at " not in str(e.value)


def test_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "bom.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a", "caption": "x"}\n{"id": "b"}\n')
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf[{"id": "a"}]')
    assert [r["id"] for _, r in read_jsonl(tmp_path / "bom.jsonl")] == ["a", "b"]
    assert [r["id"] for _, r in read_jsonl(tmp_path / "bom.json")] == ["a"]
