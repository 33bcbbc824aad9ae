"""fda build-instructions — instruction-tuning data in VideoLLaMA2's conversation format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, say, table


def build_instructions(
    annotations: list[Path] = typer.Argument(..., help="Annotation JSONL/JSON: {id, video, caption} or {id, video, attributes, facial_changes, summary}."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Training conversations (JSONL)."),
    test_out: Optional[Path] = typer.Option(None, "--test-out", help="Write the test split here (needs --test-size)."),
    test_size: float = typer.Option(0.0, "--test-size", help="Fraction of ids in the test split (deterministic by id and seed)."),
    tracks: Optional[Path] = typer.Option(None, "--tracks", help="tracks.jsonl from `fda track`: adds key frames and main-face boxes."),
    seed: int = typer.Option(0, help="Seed for the instruction choice and the split."),
    keep_inferences: bool = typer.Option(False, "--keep-inferences", help="Keep bracketed [inference] spans (removed by default, as in the paper)."),
    with_summary: bool = typer.Option(False, "--with-summary", help="Structured annotations: append the summary to attributes and facial changes."),
    video_root: Optional[Path] = typer.Option(None, "--video-root", help="Make video paths relative to this folder."),
    stats: bool = typer.Option(False, "--stats", help="Print dataset statistics (tokens, facial-action keywords, durations per source)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="With --stats: draw the statistics as PNGs into DIR."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Turn annotations into instruction-tuning conversations (one of 20 phrasings per clip) and a train/test split."""
    from fdacli.core.dataset import instructions as ins
    from fdacli.core.model.instructions import choose_instruction
    from fdacli.core.run.records import RecordError, atomic_write_bytes, dumps, read_jsonl

    if output is None and not stats:
        fail("give -o/--output, or --stats to only look at the data")
    if not 0.0 <= test_size < 1.0:
        fail("--test-size must be in [0, 1)")
    if test_size > 0 and test_out is None:
        fail("--test-size needs --test-out")
    track_info: dict[str, dict] = {}
    try:
        if tracks:
            for _, rec in read_jsonl(tracks):
                if rec.get("status") == "ok":
                    track_info[rec["id"]] = rec
        train, test, skipped, seen = [], [], [], set()
        st = ins.Stats()
        for path in annotations:
            for lineno, rec in read_jsonl(path, require=("id",)):
                rid = rec["id"]
                if rid in seen:
                    skipped.append((f"{path}:{lineno}", rid, "duplicate id (first kept)"))
                    continue
                cap = ins.caption_of(rec, with_summary)
                if not cap or not cap.strip():
                    skipped.append((f"{path}:{lineno}", rid, "no caption"))
                    continue
                video = rec.get("video")
                if not isinstance(video, str) or not video:
                    skipped.append((f"{path}:{lineno}", rid, "no video path"))
                    continue
                text = cap.strip() if keep_inferences else ins.strip_inferences(cap)
                if not text:
                    skipped.append((f"{path}:{lineno}", rid, "nothing left after removing [inferences]"))
                    continue
                seen.add(rid)
                if video_root is not None:
                    try:
                        video = str(Path(video).resolve().relative_to(video_root.resolve()))
                    except ValueError:
                        pass
                sample = ins.conversation(rid, video, text, choose_instruction(rid, seed))
                tr = track_info.get(rid)
                if tr is not None:
                    sample.update(key_frames=tr.get("key_frames") or [], key_frame_boxes=tr.get("key_frame_boxes") or [],
                                  main_track_ids=tr.get("main_track_ids") or [], fps=tr.get("fps"))
                duration = rec.get("duration")
                if tr is not None and tr.get("fps") and tr.get("num_frames"):
                    # the analysed clip: [start, end) of the source when the manifest trimmed it
                    end = tr.get("end") if tr.get("end") is not None else tr["num_frames"] / tr["fps"]
                    duration = end - (tr.get("start") or 0.0)
                st.add(ins.source_of(video), text, duration if isinstance(duration, (int, float)) else None)
                (test if test_size and ins.in_test_split(rid, seed, test_size) else train).append(sample)
    except RecordError as exc:
        fail(str(exc))

    if output is not None:
        atomic_write_bytes(output, "".join(dumps(s) + "\n" for s in train).encode("utf-8"))
    if test_out is not None:
        atomic_write_bytes(test_out, "".join(dumps(s) + "\n" for s in test).encode("utf-8"))
    if not quiet:
        if output is not None:
            say(f"wrote {len(train)} training conversations to {output}" + (f", {len(test)} test to {test_out}" if test_out else ""))
        for where, rid, why in skipped[:10]:
            flag("skipped", "yellow", f"{where} ({rid}): {why}")
        if len(skipped) > 10:
            console.print(f"[yellow]... and {len(skipped) - 10} more skipped[/]")
    if stats:
        console.print(table("dataset statistics", ["source", "clips", "tokens/caption", "facial-action keywords/caption", "duration s"],
                            [[c if c is not None else "–" for c in r] for r in st.rows()]))
        say("most frequent facial-action keywords: " + ", ".join(f"{w} ({n})" for w, n in st.top_keywords.most_common(12)))
        if plot:
            _plot(st, plot)
            say(f"plots written to {plot}/")


def _plot(st, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    for key, label in (("tokens", "tokens per caption"), ("keywords", "facial-action keywords per caption"), ("durations", "clip duration (s)")):
        data = getattr(st, key)
        if not data:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for src, vals in sorted(data.items()):
            ax.hist(vals, bins=30, alpha=0.6, label=f"{src} (n={len(vals)})")
        ax.set_xlabel(label)
        ax.set_ylabel("clips")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"{key}.png", dpi=120)
        plt.close(fig)
    (out / "stats.json").write_text(json.dumps({"rows": st.rows(), "top_keywords": st.top_keywords.most_common(50)}, indent=1))
