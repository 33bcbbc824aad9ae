"""The shared runner: process pools that survive a crashing worker, and setup failures."""

import os
import signal
from dataclasses import dataclass
from functools import partial

import pytest

from fdacli.core.run import runner
from fdacli.core.run.records import ResumableWriter, read_jsonl


@dataclass(frozen=True)
class It:
    id: str


def _work(item):
    if item.id == "crash":
        os.kill(os.getpid(), signal.SIGKILL)  # a segfault or an OOM kill looks like this
    if item.id == "raise":
        raise ValueError("bad item")
    return {"id": item.id, "status": "ok", "pid": os.getpid()}


def make_worker():
    return _work


def broken_factory(reason):
    raise RuntimeError(reason)


@pytest.mark.parametrize("workers", [1, 2])
def test_errors_become_records(tmp_path, workers):
    out = tmp_path / "o.jsonl"
    items = [It("a"), It("raise"), It("b")]
    with ResumableWriter(out) as w:
        recs = list(runner.run(items, make_worker, w, workers=workers))
    by = {r["id"]: r for r in recs}
    assert by["raise"]["status"] == "error" and "ValueError: bad item" in by["raise"]["error"]
    assert by["a"]["status"] == by["b"]["status"] == "ok"


def test_a_crashing_worker_costs_only_its_item(tmp_path):
    out = tmp_path / "o.jsonl"
    items = [It(f"i{k}") for k in range(5)] + [It("crash")] + [It(f"j{k}") for k in range(5)]
    with ResumableWriter(out) as w:
        list(runner.run(items, make_worker, w, workers=2))
    recs = {r["id"]: r for _, r in read_jsonl(out)}
    assert set(recs) == {it.id for it in items}
    assert recs["crash"]["status"] == "error" and "crashed" in recs["crash"]["error"]
    assert all(r["status"] == "ok" for k, r in recs.items() if k != "crash")


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_that_cannot_start_stops_the_run(tmp_path, workers):
    with ResumableWriter(tmp_path / "o.jsonl") as w, pytest.raises(runner.WorkerStartError, match="no model here"):
        list(runner.run([It("a"), It("b")], partial(broken_factory, "no model here"), w, workers=workers))


def test_shard_parts_merge_and_resume(tmp_path, monkeypatch):
    """Two ranks write parts; rank 0 merges; a rerun without launch folds in leftovers."""
    monkeypatch.setattr(runner, "_barrier", lambda: None)  # one process plays both ranks here
    out = tmp_path / "o.jsonl"
    items = [It(f"x{k}") for k in range(5)]
    monkeypatch.setenv("WORLD_SIZE", "2")
    plans = {}
    for rank in (0, 1):  # rank 0 prepares first, as the barrier guarantees
        monkeypatch.setenv("RANK", str(rank))
        plans[rank] = runner.plan(items, out, command="test")
        assert [i.id for i in plans[rank].todo] == [i.id for i in items[rank::2]]
    for rank in (1, 0):  # rank 1 finishes first; rank 0 waits for its marker, then merges
        p = plans[rank]
        list(runner.run(p.todo, make_worker, p.writer))
        p.writer.close()
        runner.finish(out, p.shard, poll=0.01)
    assert sorted(r["id"] for _, r in read_jsonl(out)) == [i.id for i in items]
    assert not list(tmp_path.glob("o.jsonl.part*"))
    # a killed sharded run leaves a part with a torn line and a stale marker; a plain rerun folds it in
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.delenv("RANK")
    part = runner.part_path(out, runner.Shard(1, 2))
    part.write_text('{"id":"y1","status":"ok"}\n{"id":"y2","sta')
    runner.marker_path(out, runner.Shard(1, 2)).write_text("done\n")
    plan = runner.plan(items + [It("y1"), It("y2")], out, command="test")
    assert [i.id for i in plan.todo] == ["y2"]
    plan.writer.close()
    assert not list(tmp_path.glob("o.jsonl.part*"))


def test_unwritable_result_becomes_an_error_record(tmp_path):
    with ResumableWriter(tmp_path / "o.jsonl") as w:
        recs = list(runner.run([It("nan")], lambda: (lambda it: {"id": it.id, "status": "ok", "x": float("nan")}), w))
    assert recs[0]["status"] == "error" and "could not be written" in recs[0]["error"]
