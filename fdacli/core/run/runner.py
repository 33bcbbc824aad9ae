"""Running a per-item function over many items: in-process, over N local processes, or sharded
across the processes of an ``accelerate launch`` (one machine or many), always resumable.

Every command that maps items to records uses ``run``: the caller gives the items, a picklable
factory that builds the per-process worker (models are loaded once per process, not per item), and
the output path; records come back as they finish, already written.

Sharding: ``accelerate launch`` (torchrun underneath) sets RANK and WORLD_SIZE.  Each process takes
items[rank::world_size] and writes its own part file beside the output; the rank-0 process waits for
every rank's done-marker and merges the parts into the output.  Files rather than a collective
barrier, because a shard of a large dataset easily outlasts a process-group timeout, and because a
killed run then leaves parts that the rerun reads as already done.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.run.dist import Process as Shard  # rank r of N takes every N-th item
from fdacli.core.run.dist import current as current_shard
from fdacli.core.run import outputs
from fdacli.core.run.records import Record, ResumableWriter, error_record, read_jsonl


class StopRun(Exception):
    """A failure that every remaining item would hit too (refused credentials): stop, keep what is written."""


class WorkerStartError(RuntimeError):
    """The per-process worker could not be built (a model missing, a bad option): a setup
    problem that would fail every item, so the run stops instead of recording N copies of it."""


WorkerFactory = Callable[[], Callable[[Any], Record]]


def part_path(out: Path, shard: Shard) -> Path:
    return out.with_name(f"{out.name}.part{shard.rank:03d}-of-{shard.world_size:03d}")


def marker_path(out: Path, shard: Shard) -> Path:
    part = part_path(out, shard)
    return part.with_name(part.name + ".done")


def _parts(out: Path) -> list[Path]:
    return sorted(p for p in out.parent.glob(f"{glob.escape(out.name)}.part*") if not p.name.endswith(".done"))


def _markers(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f"{glob.escape(out.name)}.part*.done"))


def done_ids(out: Path) -> set[str]:
    """Ids already written to the output or to any shard part left by an earlier run."""
    ids: set[str] = set()
    for p in [out, *_parts(out)]:
        if p.exists():
            ids |= ResumableWriter.peek_ids(p)
    return ids


@dataclass
class RunPlan:
    """What a run will do: the items this process handles, and how many were already done."""

    todo: list[Any]
    skipped: int
    shard: Shard
    writer: ResumableWriter
    new_ids: set[str]  # ids not yet done when the run began, over every shard


def plan(items: list[Any], out: str | Path, overwrite: bool = False, retry_errors: bool = False, *,
         command: str, inputs: Iterable[str | Path] = (), settings: dict | None = None,
         sync_every: float = 0.0) -> RunPlan:
    """Prepare the output for this run and pick the items this process still has to do.

    The output is checked and claimed first (core/run/outputs.py): not one of ``inputs``, writable, not
    being written by another run, and — to be resumed — written by this ``command`` with the same ``settings``
    (what shapes its records).  The claim is held
    until the writer is closed.  The first process alone changes shared files — deletes them for
    ``overwrite``, folds in parts left by a killed sharded run, drops error records for ``retry_errors``,
    clears stale done-markers — and only then do the other processes of a sharded run look at them (a
    short barrier).  ``sync_every``: see ResumableWriter.  Raises ``OutputError`` (a ``ValueError``) for an output that must not be written.
    """
    out = Path(out)
    shard = current_shard()
    claimed = None
    if shard.is_main:
        outputs.check(out, inputs)
        claimed = outputs.claim(out, command, resume=not overwrite, settings=settings)
        try:
            _prepare(out, overwrite, retry_errors)
        except BaseException:
            claimed.release()
            raise
    if shard.distributed:
        _barrier()
        mine, target = items[shard.rank :: shard.world_size], part_path(out, shard)
    else:
        mine, target = items, out
    if claimed is not None and shard.distributed:
        _held[out] = claimed  # held through the merge: finish() releases it
        claimed = None
    writer = ResumableWriter(target, remove_if_empty=not shard.distributed, claim=claimed, sync_every=sync_every)
    done = done_ids(out) | writer.done
    todo = [it for it in mine if str(it.id) not in done]
    new_ids = {str(it.id) for it in items if str(it.id) not in done}
    return RunPlan(todo=todo, skipped=len(mine) - len(todo), shard=shard, writer=writer, new_ids=new_ids)


_held: dict[Path, outputs.Claim] = {}  # a sharded run's claim on its output, until rank 0 has merged


def _prepare(out: Path, overwrite: bool, retry_errors: bool) -> None:
    if overwrite:
        for p in [out, *_parts(out), *_markers(out)]:
            p.unlink(missing_ok=True)
        return
    if _parts(out):  # leftovers of a killed sharded run: fold them in first
        merge_parts(out)
    for m in _markers(out):
        m.unlink(missing_ok=True)
    if retry_errors and out.exists():
        ResumableWriter(out, retry_errors=True).close()


def _barrier() -> None:
    """Wait for every process of the launch, once, through torch.distributed (set up by the launcher)."""
    from datetime import timedelta

    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=timedelta(minutes=30))
    dist.barrier()
    dist.destroy_process_group()  # the long wait at the end is file-based: no collective timeout applies


def records_for(out: str | Path, ids: set[str]) -> list[Record]:
    """The output's records with these ids (to summarise a run, however it was sharded)."""
    out = Path(out)
    if not out.exists():
        return []
    return [rec for _, rec in read_jsonl(out, require=("id",)) if rec["id"] in ids]


def run(
    todo: list[Any], factory: WorkerFactory, writer: ResumableWriter, workers: int = 1
) -> Iterator[Record]:
    """Process items, write each record as it completes, and yield it (for progress display)."""
    results = _in_process(todo, factory) if workers <= 1 or len(todo) <= 1 else _in_pool(todo, factory, workers)
    for rec in results:
        yield _write(writer, rec)


def _write(writer: ResumableWriter, rec: Record) -> Record:
    try:
        writer.write(rec)
    except (TypeError, ValueError) as exc:  # not JSON-serialisable (NaN, ...): record why, go on
        rec = error_record(str(rec.get("id")), f"result could not be written: {exc}", video=rec.get("video"))
        writer.write(rec)
    return rec


def fan_out(items: list[Any], fn: Callable[[Any], Any], concurrency: int = 4) -> Iterator[tuple[int, Any]]:
    """``(index, fn(item))`` as calls complete, on up to ``concurrency`` threads — the one thread pool of
    every command (records here, LLM calls in core/llm/client.py).  A ``StopRun`` from any call stops the
    rest: calls not yet started never start, and that same ``StopRun`` is what is raised here."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if concurrency <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            yield i, fn(item)
        return
    first: list[StopRun] = []

    def guarded(i: int, item: Any) -> tuple[int, Any]:
        if first:
            raise first[0]
        try:
            return i, fn(item)
        except StopRun as exc:
            first.append(exc)  # before this worker thread takes its next item
            raise

    pool = ThreadPoolExecutor(max_workers=concurrency)
    wait_for_calls = True
    try:
        futures = [pool.submit(guarded, i, item) for i, item in enumerate(items)]
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except StopRun:
                raise first[0] from None  # the cause, whichever stopped call surfaced first
    except BaseException as exc:
        # Ctrl-C / SIGTERM: leave at once (cli.py ends the process); calls in flight are abandoned
        wait_for_calls = isinstance(exc, StopRun)
        raise
    finally:
        pool.shutdown(wait=wait_for_calls, cancel_futures=True)  # on StopRun: queued items never start


def run_threads(todo: list[Any], fn: Callable[[Any], Record], writer: ResumableWriter, concurrency: int = 4) -> Iterator[Record]:
    """``run`` for I/O-bound work (LLM calls): a thread pool, records written as they complete."""
    for _, rec in fan_out(todo, lambda item: _safe(fn, item), max(1, concurrency)):
        yield _write(writer, rec)


def run_batches(todo: list[Any], fn: Callable[[list[Any]], list[Record]], writer: ResumableWriter, batch_size: int) -> Iterator[Record]:
    """``run`` for work that is cheaper in batches (model inference): ``fn`` maps a chunk of items to one
    record each; a chunk that raises gets an error record per item, and the run goes on."""
    for i in range(0, len(todo), max(1, batch_size)):
        chunk = todo[i : i + batch_size]
        try:
            recs = fn(chunk)
        except StopRun:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the chunk, keep the batch going
            recs = [error_record(str(it.id), exc, video=getattr(it, "video", None)) for it in chunk]
        for rec in recs:
            yield _write(writer, rec)


class NullWriter:
    """A writer that keeps nothing (output to the terminal only)."""

    done: set[str] = set()

    def write(self, record: Record) -> bool:
        return True

    def close(self) -> None:
        pass


def finish(out: str | Path, shard: Shard, poll: float = 1.0) -> None:
    """After a sharded run: mark this rank done; rank 0 waits for all ranks, then merges."""
    if not shard.distributed:
        return
    out = Path(out)
    marker_path(out, shard).write_text("done\n")
    if not shard.is_main:
        return
    markers = [marker_path(out, Shard(r, shard.world_size)) for r in range(shard.world_size)]
    while not all(m.exists() for m in markers):
        time.sleep(poll)
    merge_parts(out)
    if (held := _held.pop(out, None)) is not None:
        held.release()


def merge_parts(out: Path) -> int:
    """Append every record of the part files that the output lacks, then remove the parts."""
    added = 0
    with ResumableWriter(out) as w:
        for part in _parts(out):
            ResumableWriter(part).close()  # opening repairs a line torn by a kill
            for _, rec in read_jsonl(part, require=("id",)):
                added += w.write(rec)
    for p in [*_parts(out), *_markers(out)]:
        p.unlink(missing_ok=True)
    return added


def _safe(fn: Callable[[Any], Record], item: Any) -> Record:
    try:
        return fn(item)
    except StopRun:
        raise
    except Exception as exc:  # the worker should catch its own; this is the last line of defence
        return error_record(str(item.id), exc, video=getattr(item, "video", None))


def _build(factory: WorkerFactory) -> Callable[[Any], Record]:
    try:
        return factory()
    except Exception as exc:
        raise WorkerStartError(f"{type(exc).__name__}: {exc}") from exc


def _in_process(todo: list[Any], factory: WorkerFactory) -> Iterator[Record]:
    fn = _build(factory)
    for item in todo:
        yield _safe(fn, item)


_WORKER: Callable[[Any], Record] | None = None
_WORKER_ERROR: str | None = None


def _init_worker(factory: WorkerFactory, parent: int | None = None) -> None:
    global _WORKER, _WORKER_ERROR
    if parent is not None:
        _die_with(parent)
    try:
        _WORKER = _build(factory)
    except WorkerStartError as exc:  # raised in the parent from _call_worker, with its reason
        _WORKER_ERROR = str(exc)


def _die_with(parent: int, every: float = 0.5) -> None:
    """A worker outlives a parent killed with SIGKILL (no cleanup runs there), holding hundreds of MB:
    a daemon thread watches the parent's pid and ends this process once it is gone (reparented)."""
    import os
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _call_worker(item: Any) -> Record:
    if _WORKER is None:
        raise WorkerStartError(_WORKER_ERROR or "worker not initialised")
    return _safe(_WORKER, item)


def _in_pool(todo: list[Any], factory: WorkerFactory, workers: int) -> Iterator[Record]:
    """Fan items out to worker processes.  A worker that dies (segfault, OOM kill) breaks the pool:
    the rest of the queue goes on in a fresh pool, and the items that were in flight are retried
    one at a time, alone, so that the crash is pinned on its own input and recorded there."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # forking after OpenCV/torch started threads is unsafe
    queue, suspects = list(todo), []
    while queue:
        in_flight: list[Any] = []
        yield from _pool_round(queue, factory, workers, ctx, in_flight)
        suspects.extend(in_flight)
    for item in suspects:
        yield from _pool_round([item], factory, 1, ctx, crashed := [])
        if crashed:
            yield error_record(str(item.id), "worker process crashed on this input", video=getattr(item, "video", None))


def _pool_round(queue: list[Any], factory: WorkerFactory, workers: int, ctx, in_flight: list[Any]) -> Iterator[Record]:
    """Run items from ``queue`` (consumed) until done or the pool breaks; then ``in_flight`` holds
    the items that were submitted but never answered."""
    import os

    pending: dict[Future, Any] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(factory, os.getpid())) as pool:
        try:
            yield from _drain(pool, queue, pending, workers, in_flight)
        except BaseException:  # Ctrl-C, SIGTERM (cli.py raises it as KeyboardInterrupt), the caller stopping
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()  # don't wait for items in flight: what is written is kept and resumes
            raise


def _drain(pool: ProcessPoolExecutor, queue: list[Any], pending: dict[Future, Any], workers: int,
           in_flight: list[Any]) -> Iterator[Record]:
    """Submit items as workers free up, yield their records; stop at a broken pool (see _pool_round)."""
    while queue or pending:
        broken = False
        while queue and len(pending) < workers * 2:
            try:
                fut = pool.submit(_call_worker, queue[0])
            except BrokenProcessPool:  # it broke between two results
                broken = True
                break
            pending[fut] = queue.pop(0)
        if not broken:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    broken = True
                    in_flight.append(item)
        if broken:
            in_flight.extend(pending.values())
            return
