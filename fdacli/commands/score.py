"""fda score — FEC-Bench scoring: TEM, AutoDQ, CIDEr-D, ROUGE-L and judge scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from fdacli.commands import endpoint as ep
from fdacli.commands.display import console, fail, progress_bar, say, table


def split_refs(files: list[Path], refs: Optional[Path], grounding: bool) -> tuple[list[Path], Optional[Path]]:
    """Which files are predictions and which the references.  The first thing a user types is
    ``fda score preds.jsonl refs.json``: without --refs the last file is the references, as cp takes its last
    argument; --grounding without --refs scores every file against the videos alone."""
    if refs is not None or grounding:
        return files, refs
    if len(files) < 2:
        fail("give the references: fda score PREDS... REFS (the last file), or --refs REFS; or --grounding actions.jsonl "
             "to check captions against the videos")
    return files[:-1], files[-1]


def score(
    preds: list[Path] = typer.Argument(..., help="Prediction files (JSONL or JSON lists of {id, caption}; "
                                       "one leaderboard row each), then the reference file: without --refs the last file is "
                                       "the references, as cp takes its last argument (with --grounding alone, every file is "
                                       "a prediction file)."),
    refs: Optional[Path] = typer.Option(None, "--refs", "-r", help="Reference captions ({id, caption}; the FEC-Bench release "
                                        "format is read as is); without it, the last positional file."),
    output: Path = typer.Option(..., "--output", "-o", help="scores.json to write (per-model summaries and per-sample details)."),
    names: Optional[str] = typer.Option(None, "--names", help="Comma-separated model names, one per PREDS file (default: file names)."),
    judge: str = typer.Option("local", "--judge", "-j", help="'local' (offline, deterministic) or 'openai:MODEL' (any OpenAI-compatible endpoint)."),
    base_url: ep.BaseUrl = None,
    api_key_env: ep.ApiKeyEnv = ep.DEFAULT_KEY_ENV,
    temperature: float = typer.Option(0.0, help="Judge sampling temperature."),
    concurrency: ep.Concurrency = ep.DEFAULT_CONCURRENCY,
    timeout: ep.Timeout = ep.DEFAULT_TIMEOUT,
    max_retries: ep.MaxRetries = ep.DEFAULT_RETRIES,
    max_tokens: ep.JudgeMaxTokens = None,
    json_schema: bool = typer.Option(True, "--json-schema/--no-json-schema", help="Send each judge call's JSON schema as "
                                     "response_format (grammar-constrained replies); an endpoint that refuses it is "
                                     "detected and asked prompt-only. The score file records the mode."),
    metrics: str = typer.Option("tem,autodq,cider,rouge,judge", help="Metrics to compute (judge scores need an LLM judge)."),
    lcs_norm: str = typer.Option("pred", "--lcs-norm", help="TEM's LCS normalisation: 'pred' (|E_G|, Algorithm 1) or 'ref' (|E_R|, the prose)."),
    tokenizer: str = typer.Option("auto", help="PTB tokeniser for CIDEr: 'auto' (Java CoreNLP when available) or 'python'."),
    cache_dir: ep.CacheDir = None,
    no_cache: ep.NoCache = False,
    report: Optional[Path] = typer.Option(None, "--report", help="Also write a markdown report with plots and the samples "
                                          "that agree least with their references into DIR."),
    grounding: Optional[Path] = typer.Option(None, "--grounding", help="actions.jsonl from `fda actions`: check every caption "
                                             "event the landmarks can observe against what the face did (supported / contradicted / "
                                             "not measurable). Works without --refs."),
    explain: bool = typer.Option(False, "--explain", help="Keep in every sample the events found on both sides and the "
                                 "related pairs with the judge's relation (and, with --judge local, its reason)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or table."),
) -> None:
    """Score captions against FEC-Bench references, and with --grounding against the measured facial actions of
    the videos (no references needed); several PREDS files make a leaderboard.

    fda score PREDS... REFS -o scores.json: the last file is the references, as cp takes its last argument,
    unless --refs names them (fda score PREDS... --refs REFS).  With --grounding and no --refs, every file is
    a prediction file."""
    from fdacli import __version__
    import sqlite3

    from fdacli.core.score.judges import make_judge
    from fdacli.core.run import outputs
    from fdacli.core.run.runner import StopRun
    from fdacli.core.run.records import RecordError, atomic_write_pair
    from fdacli.core.llm.replies import JUDGE_TASKS
    from fdacli.core.score.scoring import METRICS, EventStore, add_grounding, ground_only, load_captions, score_model
    from fdacli.core.run.contracts import check_scores
    from fdacli.core.run.schemas import SCORES

    preds, refs = split_refs(preds, refs, grounding is not None)
    if refs is None and report is not None:
        fail("--report needs --refs (its tables and plots are of the reference metrics)")
    asked = tuple(m.strip() for m in metrics.split(",") if m.strip())
    chosen = asked if refs is not None else ()
    if bad := [m for m in asked if m not in METRICS]:
        fail(f"unknown metric(s) {', '.join(bad)}; choose from {', '.join(METRICS)}")
    if lcs_norm not in ("pred", "ref"):
        fail("--lcs-norm must be 'pred' or 'ref'")
    model_names = [n.strip() for n in names.split(",")] if names else [p.stem for p in preds]
    if len(model_names) != len(preds) or len(set(model_names)) != len(model_names):
        fail("--names needs one distinct name per PREDS file")
    try:
        ref_caps = load_captions(refs) if refs is not None else None
        pred_caps = [load_captions(p) for p in preds]
        actions = _load_actions(grounding) if grounding is not None else None
    except RecordError as exc:
        fail(str(exc))
    if not quiet:
        for caps in [*([ref_caps] if ref_caps is not None else []), *pred_caps]:
            _twice(caps)
    for path, caps in zip(preds, pred_caps):
        if ref_caps is not None:
            _check_overlap(path, caps, refs, ref_caps)
        if actions is not None:
            _check_overlap(path, caps, grounding, _Ids(actions), "actions records", stop=ref_caps is None)
    try:  # before any judge call: the output and report folder writable, not an input, not in use
        held = outputs.hold("score", [output], [report], inputs=[*preds, *(p for p in (refs, grounding) if p is not None)])
    except (outputs.OutputError, OSError) as exc:
        fail(str(exc))
    client = None
    if judge.startswith("openai:") and len(judge) > len("openai:") and chosen:  # grounding alone asks no judge
        client = ep.open_client(judge.split(":", 1)[1], "judge", base_url=base_url, api_key_env=api_key_env,
                                temperature=temperature, max_tokens=ep.token_limits(max_tokens, JUDGE_TASKS),
                                timeout=timeout, max_retries=max_retries, concurrency=concurrency,
                                cache_dir=cache_dir, no_cache=no_cache, structured=json_schema)
    try:
        j = make_judge(judge, client)
    except ValueError as exc:
        fail(str(exc))
    if "judge" in chosen and not j.can_score and not quiet:
        console.print("[yellow]note:[/] judge scores (correctness, detail, context, temporal) need an LLM judge; "
                      "left out with --judge local")

    store = EventStore(j)
    models = {}
    try:
        with progress_bar(None, "scoring", quiet=quiet, transient=True,
                          status=client.stats.line if client is not None else None) as stages:
            if client is not None:
                client.on_item = stages.advance
            for name, caps in zip(model_names, pred_caps):
                if ref_caps is not None:
                    models[name] = score_model(
                        caps, ref_caps, j, store, chosen, lcs_norm, tokenizer,  # type: ignore[arg-type]
                        lambda stage, total, _n=name: stages.stage(f"{_n}: {stage}", total), explained=explain or report is not None,
                    )
                else:
                    models[name] = ground_only(caps)
                if actions is not None:
                    stages.stage(f"{name}: grounding", 0)
                    add_grounding(models[name], caps, actions, ref_caps)
    except StopRun as exc:
        if client is not None:
            client.close()
        ep.stopped(exc, "no scores written; the judge calls made are cached for the rerun")
    except sqlite3.Error as exc:
        fail(f"judge cache error: {exc}")
    stats = client.stats if client is not None else None
    result = {
        "version": SCORES, "tool": f"fdacli {__version__}", "refs": str(refs) if refs is not None else None,
        "metrics": list(chosen),
        "grounding": {"actions": str(grounding), "version": _actions_version(actions)} if actions is not None else None,
        "lcs_norm": lcs_norm,
        "rouge_l": "F1 (beta=1), rouge-score tokenisation; rouge_l_coco: pycocoevalcap's beta=1.2 on PTB tokens",
        "cider": "CIDEr-D (pycocoevalcap definition), raw scale, document frequencies over the scored set",
        "judge": {**j.provenance(), "calls": stats.as_dict() if stats else None},
        "models": models,
    }
    written = result if explain else {**result, "models": {
        name: {**m, "samples": [{k: v for k, v in s.items() if k != "explain"} for s in m["samples"]]}
        for name, m in models.items()}}
    try:  # what any reader of scores.json may rely on (core/run/schemas.py), before anything is written
        check_scores(written, str(output))
        files = {output: json.dumps(written, indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")}
    except (RecordError, ValueError) as exc:
        fail(f"the scores break their contract, nothing written (a bug of fda score: please report it): {exc}")
    if report:
        from fdacli.core.score.report import report_files

        files.update({report / name: data for name, data in report_files(result).items()})
    atomic_write_pair(files)  # the report and the scores it describes, together: never one run's beside another's
    if client is not None:
        client.close()
    for c in held:
        c.release()
    if not quiet:
        _print(result, output)
    if any(m["counts"]["failed"] for m in models.values()):
        raise typer.Exit(1)


def _twice(caps, shown: int = 5) -> None:
    """Ids given twice in a captions file: the first of each is read; the others are named with both places."""
    for t in caps.twice[:shown]:
        console.print(f"[yellow]warning:[/] {escape(str(t))}", highlight=False)
    if len(caps.twice) > shown:
        console.print(f"[yellow]warning:[/] {escape(caps.path)}: {len(caps.twice) - shown} more id(s) again; the first of "
                      "each is kept", highlight=False)


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}"


class _Ids:
    """The ids of an actions file, shaped like loaded captions for the overlap check."""

    def __init__(self, records: dict) -> None:
        self.captions = records


def _load_actions(path: Path) -> dict[str, dict]:
    """Actions records by id (the measured ones: a clip whose measurement failed checks nothing)."""
    from fdacli.core.run.readers import actions_by_id

    return actions_by_id(path)


def _actions_version(actions: dict[str, dict] | None) -> list[str] | None:
    return sorted({str(r.get("version")) for r in actions.values()}) if actions else None


def _check_overlap(path: Path, caps, refs: Path, ref_caps, what: str = "references", stop: bool = True) -> None:
    """No shared id is a mistake (another split, ids with a prefix), not a score of nothing: stop (or, for a
    side file such as --grounding's, warn) and show examples of both sides; a small share is worth a warning."""
    ids = set(caps.captions) | set(caps.empty)
    shared = ids & set(ref_caps.captions)
    if ids and not shared:
        ex_p = ", ".join(repr(i) for i in sorted(ids)[:2])
        ex_r = ", ".join(repr(i) for i in sorted(ref_caps.captions)[:2]) or "none"
        msg = (f"no id of {path} is in {refs} (ids are compared as strings): predictions have {ex_p}, ...; "
               f"{what} have {ex_r}")
        if stop:
            fail(msg)
        console.print(f"[yellow]warning:[/] {escape(msg)}", highlight=False)
    elif ids and len(shared) < 0.5 * min(len(ids), len(ref_caps.captions)):
        console.print(f"[yellow]warning:[/] only {len(shared)} of {len(ids)} ids of {escape(str(path))} are in the {what}",
                      highlight=False)


def _print(result: dict, output: Path) -> None:
    models = result["models"]
    from fdacli.core.score.metrics import leaderboard_columns

    columns = leaderboard_columns([m["summary"] for m in models.values()])
    name_w = max([len("Model"), *(len(n) for n in models)])
    # a leaderboard wider than the terminal is folded into one table per scale (judge 0-5, the rest)
    groups = [columns]
    if name_w + 4 + sum(max(len(c.short), 6) + 3 for c in columns) > console.width:
        groups = [g for g in ([c for c in columns if c.scale == "0–5"], [c for c in columns if c.scale != "0–5"]) if g]
    for k, group in enumerate(groups):
        rows = [[name, *(_fmt(m["summary"].get(c.key)) for c in group)] for name, m in models.items()]
        title = f"fda score → {output}" if k == 0 else "n-gram and event metrics"
        console.print(table(title, ["Model", *(c.short for c in group)], rows))
    j = result["judge"]
    if result.get("metrics", True):  # no metrics: grounding alone, no judge was asked
        say(f"judge: {j['judge']}" + (f" ({j['endpoint_host']}, temperature {j['temperature']})" if j.get("endpoint_host") else ""))
    if result.get("grounding"):
        say(f"grounding: {result['grounding']['actions']} ({', '.join(result['grounding']['version'] or [])})")
    if c := j.get("calls"):
        latency = f", {c['mean_reply_seconds']:.1f} s/reply" if c.get("mean_reply_seconds") is not None else ""
        say(f"judge calls: {c['calls']} sent ({c['requests']} requests, {c['retries']} retried, {c['cut']} cut and re-asked, "
            f"{c['failures']} failed{latency}), {c['cache_hits']} from the cache; structured output: "
            f"{j.get('structured_output') or 'not used'}")
    for name, m in models.items():
        c, s = m["counts"], m["summary"]
        notes = [f"{c['scored']} scored"]
        if s.get("grounded_samples"):
            notes.append(f"grounded {s['grounded_samples']}: precision {_fmt(s['grounded_precision'])}, contradicted "
                         f"{_fmt(s['contradiction_rate'])}, {_fmt(s['measurable_share'])} of events measurable")
        for key, label in (("only_in_predictions", "ids not in refs"), ("only_in_references", "refs without prediction"),
                           ("empty_predictions", "empty predictions"), ("duplicate_ids_in_predictions", "duplicate ids"),
                           ("without_actions", "without an actions record")):
            if c.get(key):
                notes.append(f"{c[key]} {label}")
        for metric, n in c["failed"].items():
            notes.append(f"[red]{n} failed ({metric})[/]")
        if s.get("opposite_rate") is not None:
            notes.append(f"events/caption {s['pred_events_per_caption']:.1f} pred, {s['ref_events_per_caption']:.1f} ref; "
                         f"opposite-meaning pairs {s['opposite_rate']:.3f}")
        console.print(f"[bold]{escape(name)}[/]: " + "; ".join(notes), highlight=False)
