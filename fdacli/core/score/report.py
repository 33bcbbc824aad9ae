"""A markdown report of a scores.json: the leaderboard, provenance, counts and two plots."""

from __future__ import annotations

from typing import Any

from fdacli.core.score.metrics import leaderboard_columns


def report_files(result: dict[str, Any]) -> dict[str, bytes]:
    """The report as file name → content, made in memory: written together with the scores they describe, a
    report never describes another run than the scores.json beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fdacli.core.media.images import figure_bytes

    files: dict[str, bytes] = {}
    models = result["models"]
    columns = leaderboard_columns([m["summary"] for m in models.values()])
    cols = [(c.key, c.label) for c in columns]

    # one panel per scale: CIDEr (0-10) and the judge's 0-5 scores would flatten the 0-1 metrics
    scales = list(dict.fromkeys(c.scale for c in columns)) or ["0–1"]
    width = 0.8 / max(1, len(models))
    fig, axes = plt.subplots(1, len(scales), squeeze=False,
                             figsize=(max(6, 1.1 * len(cols) * max(1, len(models)) / 2 + 1.5 * len(scales)), 3.6),
                             gridspec_kw={"width_ratios": [max(1, sum(c.scale == sc for c in columns)) for sc in scales]})
    for ax, scale in zip(axes[0], scales):
        group = [c for c in columns if c.scale == scale]
        for i, (name, m) in enumerate(models.items()):
            ax.bar([x + i * width for x in range(len(group))], [m["summary"].get(c.key) or 0.0 for c in group], width, label=name)
        ax.set_xticks([x + width * (len(models) - 1) / 2 for x in range(len(group))], [c.label for c in group], rotation=30)
        ax.set_title(f"scale {scale}", fontsize=9)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Metrics per model")
    fig.tight_layout()
    files["metrics.png"] = figure_bytes(fig, dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, m in models.items():
        tems = [s["tem"] for s in m["samples"] if "tem" in s]
        if tems:
            ax.hist(tems, bins=20, range=(0, 1), alpha=0.5, label=name)
    ax.set_xlabel("TEM per sample")
    ax.set_ylabel("samples")
    ax.set_title("TEM distribution")
    ax.legend(fontsize=8)
    fig.tight_layout()
    files["tem_distribution.png"] = figure_bytes(fig, dpi=120)
    plt.close(fig)

    j = result["judge"]
    lines = [
        "# FEC-Bench scores", "",
        f"References: `{result['refs']}` · tool: {result['tool']} · TEM LCS normalised by **{result['lcs_norm']}** events",
        f"Judge: **{j['judge']}** · model: {j.get('model')} · endpoint: {j.get('endpoint_host') or 'local'} · "
        f"temperature: {j.get('temperature')} · prompts: {j.get('prompt_versions')}", "",
        "| Model | " + " | ".join(label for _, label in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for name, m in models.items():
        lines.append(f"| {name} | " + " | ".join("–" if m["summary"].get(k) is None else f"{m['summary'][k]:.3f}" for k, _ in cols) + " |")
    lines += ["", "## Counts", ""]
    for name, m in models.items():
        c = m["counts"]
        lines.append(f"- **{name}**: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.items() if k != "failed")
                     + (f", failed {c['failed']}" if c["failed"] else ""))
    lines += ["", "![metrics per model](metrics.png)", "", "![TEM distribution](tem_distribution.png)", "",
              f"ROUGE-L: {result['rouge_l']}. CIDEr: {result['cider']}.", ""]
    lines += worst_samples(models)
    files["report.md"] = "\n".join(lines).encode("utf-8")
    return files


def worst_samples(models: dict[str, Any], k: int = 3) -> list[str]:
    """The ``k`` samples per model whose TEM is lowest (below 1), their events side by side as TEM aligned them:
    where a model and the references disagree most, and why the judge thinks so."""
    lines: list[str] = []
    for name, m in models.items():
        scored = sorted((s for s in m["samples"] if s.get("tem", 1.0) < 1.0 and "explain" in s), key=lambda s: (s["tem"], s["id"]))
        for s in scored[:k]:
            ex = s["explain"]
            lines += [f"### {_text(name)} · {_text(s['id'])} · TEM {s['tem']:.3f} (TEM-ref {s['tem_ref']:.3f})", "",
                      "| prediction event | relation | reference event |", "|---|---|---|"]
            rel = {(p[0], p[1]): p for p in ex["pairs"] or []}
            aligned = _alignment(len(ex["pred_events"]), len(ex["ref_events"]), rel)
            found = {j for (_, j), p in rel.items() if p[2] == "same"}
            for i, ev in enumerate(ex["pred_events"]):
                pair = aligned.get(i) or next((p for (a, _), p in sorted(rel.items()) if a == i and p[2] == "same"), None) \
                    or next((p for (a, _), p in sorted(rel.items()) if a == i), None)
                if pair is None:
                    lines.append(f"| {_cell(ev)} | no match |  |")
                    continue
                label = pair[2] + ("" if i in aligned or pair[2] != "same" else ", out of order")
                why = f" ({_text(pair[3])})" if len(pair) > 3 else ""
                lines.append(f"| {_cell(ev)} | {label}{why} | {_cell(ex['ref_events'][pair[1]])} |")
            for j, ev in enumerate(ex["ref_events"]):
                if j not in found:
                    lines.append(f"|  | missed | {_cell(ev)} |")
            lines.append("")
    return ["## Samples that agree least with their references", ""] + lines if lines else []


def _alignment(m: int, n: int, rel: dict[tuple[int, int], list]) -> dict[int, list]:
    """The LCS alignment TEM counted (Same Meaning as equality), pred index -> its pair."""
    table = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            same = rel.get((i, j), [0, 0, "none"])[2] == "same"
            table[i][j] = table[i + 1][j + 1] + 1 if same else max(table[i + 1][j], table[i][j + 1])
    out, i, j = {}, 0, 0
    while i < m and j < n:
        if rel.get((i, j), [0, 0, "none"])[2] == "same" and table[i][j] == table[i + 1][j + 1] + 1:
            out[i] = rel[(i, j)]
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def _text(value: Any) -> str:
    """Text from a caption, an id or an LLM's reply, safe in markdown: no line breaks, tags or table bars."""
    return " ".join(str(value).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("|", "\\|").replace("`", "'")


def _cell(ev: Any) -> str:
    """An event as text, with the grammar's structure when the judge gave one; safe inside a table cell."""
    return f"{_text(ev[0])} <br><sub>{_text(ev[1])}</sub>" if isinstance(ev, list) else _text(ev)
