"""Putting clips in front of people: a project made or reused, its clips exported and served, its tasks
imported in chunks — or, without the API, the config and tasks written as files to import by hand.

Pushing again adds only clips the project does not hold yet (tasks are keyed by ``fda_id``), so a push that
was killed half-way, or repeated, never makes a duplicate task: what a chunk had imported is found on the
server and skipped.  A project that exists with another labeling config is refused unless asked to update.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.review import labeling
from fdacli.core.review.clips import ClipError, ClipWindow, export
from fdacli.core.review.labelstudio import LabelStudio, Project, ReviewError
from fdacli.core.review.tasks import media_url
from fdacli.core.run.inputs import safe_relpath
from fdacli.core.run.records import atomic_write_bytes

LOCAL_FILES = "/data/local-files/?d="


@dataclass
class Media:
    """Where clips are written and how the editor reaches them."""

    folder: Path
    prefix: str  # URL prefix of ``folder``: Label Studio's local files route with its subfolder, or any
    draw_box: bool = False

    @classmethod
    def local_files(cls, folder: Path, document_root: Path, draw_box: bool = False) -> Media:
        """Clips served by Label Studio itself: ``folder`` must be a subfolder of its LOCAL_FILES_DOCUMENT_ROOT."""
        folder, root = folder.resolve(), document_root.resolve()
        try:
            rel = folder.relative_to(root)
        except ValueError:
            raise ReviewError(f"--media {folder} is not inside the document root {root} (LOCAL_FILES_DOCUMENT_ROOT of the "
                              "Label Studio server): Label Studio serves clips only from below it") from None
        if not rel.parts:
            raise ReviewError(f"--media must be a subfolder of the document root {root}, not the root itself "
                              "(Label Studio's local storage refuses the root)")
        return cls(folder, LOCAL_FILES + rel.as_posix() + "/", draw_box)

    def path(self, rid: str) -> Path:
        return self.folder / (safe_relpath(rid) + ".mp4")

    def url(self, rid: str) -> str:
        return media_url(self.prefix, safe_relpath(rid) + ".mp4")


@dataclass
class Clip:
    """One clip to push: its id, how to cut it from its source, and the task that shows it."""

    id: str
    window: ClipWindow | None  # None: the media is already served (consolidation shows the annotators' clips)
    task: Callable[[str], dict[str, Any]]  # media URL -> task
    url: str | None = None  # where the media already is, with ``window`` None


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # already there, but pushed from other content (draft, versions)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    encoded: int = 0
    project: Project | None = None
    created: bool = False


def ensure_project(ls: LabelStudio, title: str, kind: str, annotations: int, update_config: bool) -> tuple[Project, bool]:
    """The project titled ``title`` with this kind's config, made if missing; N annotations per task."""
    config = labeling.CONFIGS[kind]()
    description = f"fda review {kind}: made by `fda review`; tasks carry fda_id"
    project, created = ls.find_project(title), False
    if project is None:
        project, created = ls.create_project(title, config, description), True
    elif not labeling.same_config(project.label_config, config):
        if not update_config:
            raise ReviewError(f"project {title!r} (id {project.id}) exists with another labeling config; "
                              "pass --update-config to replace it, or choose another --project")
        project = ls.update_project(project.id, label_config=config)
    if project.maximum_annotations != annotations:  # ignored at creation by some versions: set it after
        if not created and not update_config:  # an existing project's clips would silently want more, or fewer, people
            raise ReviewError(f"project {title!r} (id {project.id}) asks for {project.maximum_annotations} annotation(s) "
                              f"per clip, not {annotations}: pass --update-config to change it, or give "
                              f"--annotators {project.maximum_annotations}")
        project = ls.update_project(project.id, maximum_annotations=annotations)
    return project, created


def push(ls: LabelStudio, project: Project, kind: str, clips: list[Clip], media: Media | None, chunk: int = 100,
         on_clip: Callable[[str, str], None] | None = None) -> PushResult:
    """Export and import the clips the project lacks, ``chunk`` tasks per request."""
    res = PushResult(project=project)
    have = ls.task_index(project.id)
    todo = []
    ids: set[str] = set()
    for c in [c for c in clips if not (c.id in ids or ids.add(c.id))]:  # one task per clip, the first given
        if c.id in have:
            res.already.append(c.id)
            old = have[c.id][1]
            if old is not None and old != digest(c.task(c.url or "")):
                res.changed.append(c.id)  # a new draft, or versions that changed since: the task is not replaced
            if on_clip:
                on_clip(c.id, "already there")
        else:
            todo.append(c)
    for k in range(0, len(todo), chunk):
        tasks, ids = [], []
        for c in todo[k:k + chunk]:
            why = _export(c, media, res)
            if why:
                res.failed.append((c.id, why))
            else:
                tasks.append(stamped(c.task(c.url or media.url(c.id))))
                ids.append(c.id)
            if on_clip:
                on_clip(c.id, why or "ok")
        if tasks:
            ls.import_tasks(project.id, tasks)
            res.pushed.extend(ids)
    if res.pushed:  # predictions are shown only when their model version is the project's (settable once some exist)
        ls.update_project(project.id, model_version=labeling.MODEL_VERSION[kind])
    return res


def digest(task: dict[str, Any]) -> str:
    """What a task shows, as a short hash (its media URL aside): a rerun tells a clip whose draft or versions
    changed since it was pushed from one that is the same."""
    import hashlib

    data = {k: v for k, v in (task.get("data") or {}).items() if k not in ("video", "fda_digest")}
    body = json.dumps([data, task.get("predictions")], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def stamped(task: dict[str, Any]) -> dict[str, Any]:
    task["data"]["fda_digest"] = digest(task)
    return task


def _export(c: Clip, media: Media | None, res: PushResult) -> str | None:
    if c.window is None:
        return None if c.url else "no clip to show"
    try:
        res.encoded += export(c.window, media.path(c.id), draw_box=media.draw_box)
    except ClipError as exc:
        return str(exc)
    return None


def write_files(folder: Path, kind: str, clips: list[Clip], media: Media | None,
                on_clip: Callable[[str, str], None] | None = None) -> PushResult:
    """Without the API: ``label_config.xml`` and ``tasks.json`` for a project made and imported by hand."""
    res = PushResult()
    tasks = []
    for c in clips:
        why = _export(c, media, res)
        if why:
            res.failed.append((c.id, why))
        else:
            tasks.append(stamped(c.task(c.url or media.url(c.id))))
            res.pushed.append(c.id)
        if on_clip:
            on_clip(c.id, why or "ok")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / "label_config.xml", labeling.CONFIGS[kind]().encode("utf-8"))
    atomic_write_bytes(folder / "tasks.json", (json.dumps(tasks, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return res


def read_export(path: Path) -> list[dict[str, Any]]:
    """A JSON export downloaded from Label Studio (Export → JSON), as the API returns it."""
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.contracts import check_export_task

    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: not a Label Studio JSON export ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(tasks, list) or (tasks and not any(isinstance(t, dict) and "data" in t for t in tasks)):
        raise RecordError(f"{path}: not a Label Studio JSON export (expected a list of tasks with 'data'; "
                          "export the project as JSON, not JSON_MIN or CSV)")
    for n, task in enumerate(tasks, start=1):  # the export's shape, by its contract (core/run/contracts.py)
        check_export_task(task, f"{path}: item {n}:")
    return tasks


def merge_tasks(exports: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Tasks of one or several projects (one per annotator, so that nobody sees another's version) as one list: the
    annotations of one clip (``fda_id``, as text) together, under its first task — also when one project holds a
    clip twice (tasks imported twice by hand)."""
    merged: dict[str, dict[str, Any]] = {}
    for tasks in exports:
        for t in tasks:
            key = (t.get("data") or {}).get("fda_id") if isinstance(t, dict) else None
            if key is None:
                continue
            key = str(key)
            if key in merged:
                merged[key]["annotations"] = [*merged[key].get("annotations", []), *(t.get("annotations") or [])]
            else:
                merged[key] = {**t, "annotations": list(t.get("annotations") or [])}
    return list(merged.values())


def stage_of(tasks: list[dict[str, Any]]) -> str:
    """Which project an export is of: the annotators' or the reviewer's (tasks say so in ``fda_stage``)."""
    stages = {(t.get("data") or {}).get("fda_stage") for t in tasks} - {None}
    if not stages:
        raise ReviewError("these tasks were not pushed by `fda review` (no fda_stage in their data)")
    if len(stages) > 1:
        raise ReviewError(f"tasks of both stages in one project ({', '.join(sorted(stages))})")
    return stages.pop()
