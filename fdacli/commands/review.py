"""fda review — the paper's human step on Label Studio: annotators correct drafts, a reviewer consolidates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from fdacli.commands import endpoint as ep
from fdacli.commands.display import console, fail, flag, progress_bar, say, table

app = typer.Typer(
    name="review", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="The paper's human correction and consolidation on a Label Studio server: push drafts to annotators (push), "
         "read their versions with their agreement (pull), put the versions before a final reviewer (consolidate), "
         "and read the final annotations (pull) for build-instructions.",
)

DEFAULT_URL = "http://localhost:8080"
Url = Annotated[Optional[str], typer.Option(
    "--url", help=f"Label Studio server (default: $LABEL_STUDIO_URL, else {DEFAULT_URL}).")]
KeyEnv = Annotated[str, typer.Option(
    "--key-env", help="Name of the environment variable holding the Label Studio API key (Account & Settings → "
                      "Access Token); the key itself is never an option, and never printed or written.")]
Project = Annotated[Optional[str], typer.Option("--project", "-p", help="Label Studio project title.")]
UpdateConfig = Annotated[bool, typer.Option(
    "--update-config", help="Replace the labeling config (and the annotations per clip) of an existing project whose "
                            "settings differ (refused otherwise).")]
ToFiles = Annotated[Optional[Path], typer.Option(
    "--to-files", help="Without the API: write label_config.xml and tasks.json into DIR, for a project made and imported by hand.")]
Chunk = Annotated[int, typer.Option("--chunk", help="Tasks per import request.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
KEY_ENV = "LABEL_STUDIO_API_KEY"


def _server(url: str | None, key_env: str):
    """The server, checked with one call before any work: down, not Label Studio, or a refused key end here."""
    from fdacli.core.review.labelstudio import LabelStudio, ReviewError

    try:
        ls = LabelStudio(url or os.environ.get("LABEL_STUDIO_URL") or DEFAULT_URL, os.environ.get(key_env, ""), key_env=key_env)
        ls.whoami()
    except ReviewError as exc:
        fail(str(exc))
    return ls


def _media(media: Path | None, document_root: Path | None, media_url: str | None, box: bool):
    from fdacli.core.review.labelstudio import ReviewError
    from fdacli.core.review.push import Media

    if media is None:
        fail("give --media DIR: where the clips annotators watch are written")
    try:
        if media_url:
            return Media(media, media_url if media_url.endswith(("/", "=")) else media_url + "/", box)
        root = document_root or (Path(os.environ["LOCAL_FILES_DOCUMENT_ROOT"]) if os.environ.get("LOCAL_FILES_DOCUMENT_ROOT") else None)
        if root is None:
            fail("give --document-root (the LOCAL_FILES_DOCUMENT_ROOT the Label Studio server was started with) or --media-url")
        return Media.local_files(media, root, box)
    except ReviewError as exc:
        fail(str(exc))


def _by_id(path: Path, read, ok_only: bool = True) -> dict[str, dict[str, Any]]:
    """The records of a file by id, read (and checked) by ``read`` of core/run/readers.py."""
    return {rec["id"]: rec for _, rec in read(path) if not ok_only or rec.get("status", "ok") == "ok"}


def _actions(path: Path) -> dict[str, dict[str, Any]]:
    """`fda actions` records by id (failed ones too: the panel says why a clip was not measured)."""
    from fdacli.core.run.readers import actions_by_id

    return actions_by_id(path, ok_only=False)


@app.command("push")
def push(
    drafts: Path = typer.Argument(..., help="preannotations.jsonl from `fda preannotate` (the drafts to correct)."),
    tracks: Path = typer.Option(..., "--tracks", help="tracks.jsonl the drafts were made from (clip windows, main-face boxes)."),
    project: Project = None,
    media: Optional[Path] = typer.Option(None, "--media", help="Folder for the clips annotators watch (H.264 MP4); a "
                                         "subfolder of the server's LOCAL_FILES_DOCUMENT_ROOT."),
    document_root: Optional[Path] = typer.Option(None, "--document-root", help="The server's LOCAL_FILES_DOCUMENT_ROOT "
                                                 "(default: $LOCAL_FILES_DOCUMENT_ROOT)."),
    media_url: Optional[str] = typer.Option(None, "--media-url", help="Serve the clips from this URL prefix instead of "
                                            "Label Studio's local files (a web server over --media)."),
    actions: Optional[Path] = typer.Option(None, "--actions", help="actions.jsonl from `fda actions`: show each clip's "
                                           "measured timeline of the main face beside it."),
    screen: Optional[Path] = typer.Option(None, "--screen", help="screen.jsonl from `fda screen`: its measured drop "
                                          "reasons are preselected as suggestions."),
    annotators: int = typer.Option(3, "--annotators", "-n", help="Annotators per clip (the paper: 3)."),
    box: bool = typer.Option(False, "--box", help="Draw the main face's box into the clips."),
    url: Url = None,
    key_env: KeyEnv = KEY_ENV,
    update_config: UpdateConfig = False,
    to_files: ToFiles = None,
    chunk: Chunk = 100,
    quiet: Quiet = False,
) -> None:
    """Push drafts to annotators: each clip exported for the browser, its draft split into attributes, facial
    changes and summary and pre-filled, N annotators per clip; pushing again adds only new clips."""
    from fdacli.commands.extras import require
    from fdacli.core.review import labeling
    from fdacli.core.review.inputs import annotate_clips
    from fdacli.core.review.push import LOCAL_FILES
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import read_drafts, read_screen, read_tracks

    require("review", "fda review push")
    if annotators < 1 or chunk < 1:
        fail("--annotators and --chunk must be at least 1")
    if to_files is None and not project:
        fail("give --project TITLE (or --to-files DIR to write the config and tasks without the API)")
    try:  # every input checked by its contract (core/run/contracts.py) before the server is asked anything
        pre = [r for _, r in read_drafts(drafts)]
        trk = _by_id(tracks, read_tracks)
        act = _actions(actions) if actions is not None else None
        scr = _by_id(screen, read_screen, ok_only=False) if screen is not None else None
    except RecordError as exc:
        fail(str(exc))
    ls = _server(url, key_env) if to_files is None else None
    m = _media(media, document_root, media_url, box)
    sel = annotate_clips(pre, trk, tracks.parent, act, scr)
    storage = [(str(m.folder), "fda review clips")] if m.prefix.startswith(LOCAL_FILES) else []
    if storage and to_files is None:
        try:
            m.folder.mkdir(parents=True, exist_ok=True)  # the server checks that the storage folder exists
        except OSError as exc:
            fail(f"cannot make --media {m.folder}: {exc.strerror or exc}")
    _deliver(labeling.ANNOTATE, sel, ls, project, annotators, update_config, m, storage, to_files, chunk, quiet)


def _deliver(kind: str, sel, ls, project: str | None, annotations: int, update_config: bool, media,
             storage: list[tuple[str, str]], to_files: Path | None, chunk: int, quiet: bool) -> None:
    """Push the selected clips (or write them as files), with progress and the summary; exit 1 if a clip failed."""
    from fdacli.core.review.labelstudio import ReviewError
    from fdacli.core.review.push import ensure_project, push as push_clips, write_files

    try:
        with progress_bar(len(sel.clips), "pushing", quiet=quiet) as bar:
            note = lambda rid, status: bar.advance(f"{rid}: {status}")  # noqa: E731
            if to_files is not None:
                res = write_files(to_files, kind, sel.clips, media, note)
            else:
                proj, created = ensure_project(ls, project, kind, annotations, update_config)
                for path, title in storage:  # where the clips are served from (the server checks the folder exists)
                    ls.connect_local_storage(proj.id, path, title)
                res = push_clips(ls, proj, kind, sel.clips, media, chunk, note)
                res.created = created
    except ReviewError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {exc.filename or ''}: {exc.strerror or exc}")
    _summary(f"review {'push' if kind == 'annotate' else 'consolidate'}", to_files, res, sel.left_out, quiet)
    if res.failed:
        raise typer.Exit(1)


def _summary(what: str, to_files: Path | None, res, left_out: list[tuple[str, str]], quiet: bool) -> None:
    if quiet:
        return
    where = str(to_files) if to_files is not None else f"project {res.project.title!r} (id {res.project.id})" + (" — new" if res.created else "")
    total = len(res.pushed) + len(res.already) + len(res.failed) + len(left_out)
    console.print(table(f"fda {what} → {where}", ["clips", "pushed", "already there", "clips encoded", "failed", "left out"],
                        [[total, len(res.pushed), len(res.already), res.encoded, len(res.failed), len(left_out)]]))
    for rid, why in res.failed[:10]:
        flag("failed", "red", f"{rid}: {why}")
    if len(res.failed) > 10:
        say(f"... and {len(res.failed) - 10} more failed")
    for rid in res.changed[:10]:
        flag("changed", "yellow", f"{rid}: already in the project, pushed from other content (a new draft, or versions "
                                  "that changed since); its task was not replaced — push it to a new project to show it")
    for rid, why in left_out[:10]:
        flag("left out", "yellow", f"{rid}: {why}")
    if len(left_out) > 10:
        say(f"... and {len(left_out) - 10} more left out")
    if to_files is not None:
        say(f"import {to_files / 'tasks.json'} into a project whose labeling config is {to_files / 'label_config.xml'}")


@app.command("pull")
def pull(
    output: Path = typer.Option(..., "--output", "-o", help="versions.jsonl (an annotation project) or annotations.jsonl "
                                "(a consolidation project); written whole."),
    project: Optional[list[str]] = typer.Option(None, "--project", "-p", metavar="<str>", help="Label Studio project title; repeat it to "
                                                "read one project per annotator together (versions of a clip merged by its id)."),
    export: Optional[list[Path]] = typer.Option(None, "--export", metavar="<path>", help="Read a JSON export downloaded from Label Studio "
                                                "instead of the API (repeatable, like --project)."),
    annotators: Optional[int] = typer.Option(None, "--annotators", "-n", help="Versions wanted per clip (default: the "
                                             "projects' annotations per task, summed; 3 for exports)."),
    judge: str = typer.Option("local", "--judge", "-j", help="How facial changes are compared (TEM): 'local' (offline) or "
                              "'openai:MODEL', as in fda score."),
    base_url: ep.BaseUrl = None,
    api_key_env: ep.ApiKeyEnv = ep.DEFAULT_KEY_ENV,
    cache_dir: ep.CacheDir = None,
    no_cache: ep.NoCache = False,
    url: Url = None,
    key_env: KeyEnv = KEY_ENV,
    quiet: Quiet = False,
) -> None:
    """Read a project: from the annotators' project every version of every clip with who, when, how long, what
    changed, drop votes and the agreement between annotators; from the reviewer's project annotations.jsonl."""
    from fdacli.core.review.labelstudio import ReviewError
    from fdacli.core.review.push import merge_tasks, read_export, stage_of
    from fdacli.core.run import outputs
    from fdacli.core.run.records import RecordError

    if bool(project) == bool(export):
        fail("give --project TITLE (read through the API) or --export FILE (a downloaded JSON export)")
    if annotators is not None and annotators < 1:
        fail("--annotators must be at least 1")
    try:
        held = outputs.hold("review pull", [output], inputs=export or [])
    except (outputs.OutputError, OSError) as exc:
        fail(str(exc))
    pid, users = None, {}
    try:
        if export:
            tasks = merge_tasks([read_export(e) for e in export])
            wanted = annotators or 3
        else:
            ls = _server(url, key_env)
            projects = []
            for title in project:
                proj = ls.find_project(title)
                if proj is None:
                    fail(f"no project titled {title!r} on {ls.url}")
                projects.append(proj)
            tasks = merge_tasks([ls.export(p.id) for p in projects])
            pid, users = projects[0].id, ls.users()
            wanted = annotators or sum(p.maximum_annotations for p in projects)
        stage = stage_of(tasks) if tasks else None
    except (ReviewError, RecordError) as exc:
        fail(str(exc))
    if stage is None:
        fail("the project has no tasks yet")
    if stage == "annotate":
        _pull_versions(tasks, users, wanted, pid, output, judge, base_url, api_key_env, cache_dir, no_cache, quiet)
    else:
        _pull_final(tasks, users, output, quiet)
    for c in held:
        c.release()


def _comparers(judge: str, base_url: str | None, api_key_env: str, cache_dir: Path | None, no_cache: bool):
    from fdacli.core.llm.replies import JUDGE_TASKS
    from fdacli.core.review.agreement import Pairwise
    from fdacli.core.review.versions import Comparers
    from fdacli.core.score import pairwise
    from fdacli.core.score.judges import make_judge

    client = None
    if judge.startswith("openai:") and len(judge) > len("openai:"):
        client = ep.open_client(judge.split(":", 1)[1], "judge", base_url=base_url, api_key_env=api_key_env,
                                max_tokens=ep.token_limits(None, JUDGE_TASKS), cache_dir=cache_dir, no_cache=no_cache)
    try:
        j = make_judge(judge, client)
    except ValueError as exc:
        fail(str(exc))

    def wrap(results):
        return [Pairwise(m, notes, err) for m, notes, err in results]

    version = j.provenance().get("grammar_version")
    return Comparers(lambda groups: wrap(pairwise.tem_agreement(j, groups)), lambda groups: wrap(pairwise.rouge_agreement(groups)),
                     f"{judge} ({version})" if version else judge), client


def _pull_versions(tasks, users, wanted, pid, output, judge, base_url, api_key_env, cache_dir, no_cache, quiet) -> None:
    from fdacli.core.review.tasks import fmt
    from fdacli.core.review.versions import records
    from fdacli.core.run.records import atomic_write_bytes, dumps
    from fdacli.core.run.runner import StopRun

    comparers, client = _comparers(judge, base_url, api_key_env, cache_dir, no_cache)
    try:
        with progress_bar(None, "comparing versions", quiet=quiet, transient=True,
                          status=client.stats.line if client is not None else None):
            recs = records(tasks, users, wanted, comparers, pid)
    except StopRun as exc:
        ep.stopped(exc, "nothing written; the judge calls made are cached for the rerun")
    finally:
        if client is not None:
            client.close()
    recs.sort(key=lambda r: (r["agreement"]["overall"] is None, r["agreement"]["overall"] or 0.0, r["id"]))
    atomic_write_bytes(output, "".join(dumps(r) + "\n" for r in recs).encode("utf-8"))
    if quiet:
        return
    short = [r for r in recs if r["status"] != "ok"]
    rows = [[r["id"], len(r["versions"]), fmt(r["agreement"]["facial_changes"]), fmt(r["agreement"]["attributes"]),
             fmt(r["agreement"]["summary"]), ", ".join(f"{_SHORT[k]} {v}" for k, v in r["drop_votes"].items() if k in _SHORT) or "–",
             r["versions"][r["medoid"]["facial_changes"]]["annotator"].split("@")[0] if r["versions"] else "–"]
            for r in recs if r["versions"]]
    console.print(table(f"fda review pull → {output}", ["clip", "versions", "changes TEM", "attrs R-L", "summary R-L", "drop votes", "medoid"],
                        rows[:20]))
    say("lowest agreement first; changes: facial changes by TEM (judge " + comparers.judge + "), the other parts by ROUGE-L")
    if len(rows) > 20:
        say(f"... {len(rows) - 20} more clips in {output}")
    edited = sum(any(v["changed"].values()) for r in recs for v in r["versions"])
    total = sum(len(r["versions"]) for r in recs)
    say(f"{len(recs)} clips, {total} versions ({edited} changed the draft), {len(short)} clip(s) short of {wanted} versions")
    for r in short[:10]:
        flag("short", "yellow", f"{r['id']}: {r['error']}")
    bad = [(r["id"], v["annotator"]) for r in recs for v in r["versions"] if not v["brackets_ok"]]
    for rid, who in bad[:10]:
        flag("brackets", "yellow", f"{rid}: {who}'s version has unbalanced [inference] brackets")


_SHORT = {"too many facial changes": "many", "too few facial changes": "few", "violent content": "violent",
          "frequent perspective switches": "switches"}


def _pull_final(tasks, users, output, quiet) -> None:
    from fdacli.core.review.consolidation import annotation, pending
    from fdacli.core.run.records import atomic_write_bytes, dumps

    recs = [a for a in (annotation(t, users) for t in tasks) if a is not None]
    waiting = [str(t["data"]["fda_id"]) for t in tasks if pending(t) and (t.get("data") or {}).get("fda_id") is not None]
    recs.sort(key=lambda r: r["id"])
    atomic_write_bytes(output, "".join(dumps(r) + "\n" for r in recs).encode("utf-8"))
    if quiet:
        return
    ok = [r for r in recs if r["status"] == "ok"]
    console.print(table(f"fda review pull → {output}", ["annotations", "dropped", "edited by the reviewer", "flagged", "awaiting review"],
                        [[len(ok), len(recs) - len(ok), sum(any(r["review"]["edited"].values()) for r in recs),
                          sum(bool(r["flags"]) for r in recs), len(waiting)]]))
    for r in [r for r in recs if r["flags"]][:10]:
        for f in r["flags"]:
            flag("flag", "yellow", f"{r['id']}: {f}")
    if waiting:
        say("awaiting review: " + ", ".join(waiting[:10]) + (" ..." if len(waiting) > 10 else ""))


@app.command("consolidate")
def consolidate(
    versions: Path = typer.Argument(..., help="versions.jsonl from `fda review pull` on the annotators' project."),
    project: Project = None,
    include_incomplete: bool = typer.Option(False, "--include-incomplete", help="Also put clips short of their versions "
                                            "before the reviewer."),
    url: Url = None,
    key_env: KeyEnv = KEY_ENV,
    update_config: UpdateConfig = False,
    to_files: ToFiles = None,
    chunk: Chunk = 100,
    quiet: Quiet = False,
) -> None:
    """Put each clip's versions before a final reviewer: side by side with their agreement and where they differ,
    the medoid pre-filled, the majority's drop reasons preselected; pull the project for annotations.jsonl."""
    from fdacli.core.review import labeling
    from fdacli.core.review.inputs import consolidate_clips
    from fdacli.core.review.labelstudio import ReviewError
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import read_versions

    if to_files is None and not project:
        fail("give --project TITLE for the final review (or --to-files DIR)")
    if chunk < 1:
        fail("--chunk must be at least 1")
    try:  # every record checked by its contract (core/run/contracts.py) before the server is asked anything
        recs = [rec for _, rec in read_versions(versions)]
    except RecordError as exc:
        fail(str(exc))
    ls = _server(url, key_env) if to_files is None else None
    sel = consolidate_clips(recs, include_incomplete)
    storage = []
    if ls is not None:  # the reviewer watches the clips the annotators watched, from the same folders
        try:
            for src in sorted({int(r["project"]) for r in recs if isinstance(r.get("project"), int)}):
                storage += [(st["path"], st.get("title") or "fda review clips") for st in ls.local_storages(src)]
        except ReviewError as exc:
            fail(str(exc))
    _deliver(labeling.CONSOLIDATE, sel, ls, project, 1, update_config, None, storage, to_files, chunk, quiet)
