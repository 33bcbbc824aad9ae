"""What annotators and the reviewer see: the Label Studio labeling configs and the shape of their results.

The paper's annotation has three parts (§3.2): external attributes, the main character's facial changes
(reasonable inferences kept, marked with square brackets) and a one-sentence summary; annotators also drop
clips for four reasons.  The same names serve both projects, so a reviewer's result reads like an
annotator's.
"""

from __future__ import annotations

import re
from typing import Any

PARTS = ("attributes", "facial_changes", "summary")
PART_TITLES = {
    "attributes": "External attributes — appearance, subtle facial features included",
    "facial_changes": "Facial changes over the clip — mark reasonable inferences with [square brackets]",
    "summary": "Summary — one sentence for the whole clip (MAFW style)",
}
DROP_REASONS = ("too many facial changes", "too few facial changes", "violent content", "frequent perspective switches")
DROP = "drop"
VIDEO = "video"
ANNOTATE, CONSOLIDATE = "annotate", "consolidate"
MODEL_VERSION = {ANNOTATE: "fda-draft", CONSOLIDATE: "fda-medoid"}  # predictions of another version are hidden


def _text_areas(rows: dict[str, int]) -> str:
    out = []
    for part in PARTS:
        out.append(f'  <Header value="{PART_TITLES[part]}" size="5"/>\n'
                   f'  <TextArea name="{part}" toName="{VIDEO}" editable="true" maxSubmissions="1" rows="{rows[part]}"/>')
    return "\n".join(out)


def _drop_choices() -> str:
    choices = "\n".join(f'    <Choice value="{r}"/>' for r in DROP_REASONS)
    return (f'  <Header value="Drop this clip (leave empty to keep it)" size="5"/>\n'
            f'  <Choices name="{DROP}" toName="{VIDEO}" choice="multiple" showInline="true">\n{choices}\n  </Choices>')


def annotate_config() -> str:
    """Each annotator corrects the draft while watching the clip, with the measured timeline beside it."""
    return (
        "<View>\n"
        '  <Header value="Clip $fda_id — correct the draft while watching the clip"/>\n'
        f'  <Video name="{VIDEO}" value="$video" height="360"/>\n'
        '  <Header value="Measured on the main face (fda actions / fda screen; times in seconds, left and right as seen)" size="5"/>\n'
        '  <Text name="timeline" value="$timeline"/>\n'
        f"{_text_areas({'attributes': 3, 'facial_changes': 8, 'summary': 2})}\n"
        f"{_drop_choices()}\n"
        "</View>\n"
    )


def consolidate_config() -> str:
    """The final reviewer sees every annotator's version side by side with where they differ, and edits the
    most central version (pre-filled) into the one annotation."""
    return (
        "<View>\n"
        '  <Header value="Clip $fda_id — consolidate the annotators\' versions into one annotation"/>\n'
        f'  <Video name="{VIDEO}" value="$video" height="360"/>\n'
        '  <Header value="The versions, their agreement and where they differ" size="5"/>\n'
        '  <HyperText name="versions" value="$versions_html"/>\n'
        f"{_text_areas({'attributes': 3, 'facial_changes': 8, 'summary': 2})}\n"
        f"{_drop_choices()}\n"
        "</View>\n"
    )


CONFIGS = {ANNOTATE: annotate_config, CONSOLIDATE: consolidate_config}


def same_config(a: str, b: str) -> bool:
    """Configs equal up to layout whitespace (Label Studio stores what it was given, editors reindent)."""
    def norm(x: str) -> str:
        return re.sub(r">\s+<", "><", x.strip())

    return norm(a) == norm(b)


def result(parts: dict[str, str], drop: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """A Label Studio result (a prediction or an annotation) holding the three texts and the drop reasons."""
    out: list[dict[str, Any]] = [
        {"from_name": part, "to_name": VIDEO, "type": "textarea", "value": {"text": [parts[part]]}}
        for part in PARTS if (parts.get(part) or "").strip()
    ]
    if drop:
        out.append({"from_name": DROP, "to_name": VIDEO, "type": "choices", "value": {"choices": list(drop)}})
    return out


def read_result(res: list[dict[str, Any]] | None) -> tuple[dict[str, str], list[str]]:
    """Texts per part and drop reasons from a result; several text items of one area are joined by lines."""
    parts = {p: "" for p in PARTS}
    drop: list[str] = []
    for item in res if isinstance(res, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            continue  # another tool's region, or a damaged item: not one of ours
        name, value = item.get("from_name"), item["value"]
        text = value.get("text")
        if name in parts and isinstance(text, (list, str)):
            texts = [text] if isinstance(text, str) else text
            parts[name] = "\n".join(str(t).strip() for t in texts if str(t).strip())
        elif name == DROP and isinstance(value.get("choices"), list):
            drop = [str(c) for c in value["choices"]]
    return parts, drop
