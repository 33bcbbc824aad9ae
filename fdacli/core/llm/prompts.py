"""Prompts, versioned.  A prompt's version is part of every cache key and every score file, so
changing a prompt's text must change its version.

The TEM prompts follow the paper's supplement (§9, Fig. 6-8) closely — they are the specification.
The AutoDQ entailment prompt and the caption-quality judge prompts are this project's wording of the
criteria Tarsier and Video-ChatGPT define.
"""

from __future__ import annotations

EVENTS_VERSION = "fec-events-v1"
RELATIONS_VERSION = "fec-relations-v1"
ENTAILMENT_VERSION = "autodq-entail-v1"
ALIGN_VERSION = "fec-align-v1"
SCORES_VERSION = "vcg-scores-v1"
PREANNOTATE_VERSION = "fda-preannotate-v1"

# Supplement Fig. 5: the pre-annotation prompt sent with the 2x2 frame grids.
PREANNOTATE_PROMPT = (
    "For a given video, every four consecutive frames are combined into a 2x2 grid to create a new image. We use these "
    "sequentially stitched images as input to represent the video. If the number of frames is not a multiple of four, "
    "black padding will be used to make it fit perfectly into the 2x2 grid.\n\n"
    "Please provide a detailed description of the emotions and facial changes of the person in the video. Avoid describing "
    "frame by frame; instead, describe the facial changes from the overall perspective of the video. Provide a coherent and "
    "detailed description, ensuring each detail is vivid and flowing smoothly without isolating different aspects, such as "
    "\"head movement: ***\". Integrate all details seamlessly into the overall narrative, exhibiting a natural fluidity. "
    "Minimize speculation. If certain features are not clear, such as the individual's age, opt not to describe them."
)
# fda preannotate --hints: the measured timeline of the main face (core/text/timeline.py), appended to the prompt
HINTS_NOTE = (
    "\n\nMeasured facial movements of the main person, from facial landmarks (times in seconds from the start of the clip; "
    "left and right as seen in the video):\n{timeline}\n"
    "Use these measurements to place the facial changes you describe in time and to avoid describing movements that "
    "did not happen, but describe only what you can see in the images."
)
FACE_CROPS_NOTE = (
    "\n\nThe last images are close-up crops of the main character's face at the same moments, in the same 2x2 layout."
)


def event_extraction(caption: str) -> list[dict]:
    """Supplement Fig. 6: at most 10 facial-action events, as a Python-dict string."""
    text = (
        "Below is a description of a video clip:\n"
        f"Video Description: {caption}\n\n"
        "Extract at most 10 key events related to facial action unit changes from the above video description paragraph. Requirements:\n"
        "- An event must include a specific facial action or motion (NOT STATIC INFORMATION). DON'T repeat same events.\n"
        "- Every event is represented by a brief sentence within 10 words, with a subject, a predicate and optionally an object, "
        "avoid unnecessary appearance descriptions.\n"
        "- Every event must be atomic, meaning that it cannot be further split into multiple events.\n"
        "- Scene cuts and camera motions are NOT events.\n"
        "- Substitute pronouns by the nouns they refer to.\n\n"
        'Please generate the response in the form of a Python dictionary string with keys "events". The value of "events" is a '
        "List(str), of which each item is an event. DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. Only provide the Python "
        'dictionary string. For example, your response should look like this: {"events": [event1, event2, ...]}'
    )
    return [{"role": "user", "content": text}]


def event_relations(pred_events: list[str], gt_events: list[str]) -> list[dict]:
    """Supplement Fig. 7: classify every (pred, gt) pair as Same Meaning / Opposite Meaning / No Relation."""
    text = (
        "Given two lists of events. For each pair of events (one from each list), classify the relationship between the "
        "events into three classes: Same Meaning, Opposite Meaning, No Relation.\n"
        '- "Same Meaning" means that the first event and the second event share similar facial actions or emotions, even if '
        "not identical in overall meaning.\n"
        '- "Opposite Meaning" means that the first event and the second event have opposite meanings.\n'
        '- "No Relation" means that there is no clear relation between the first event and the second event.\n\n'
        "List 1 (Pred Events):\n" + "\n".join(f"{i + 1}. {e}" for i, e in enumerate(pred_events)) + "\n"
        "List 2 (GT Events):\n" + "\n".join(f"{i + 1}. {e}" for i, e in enumerate(gt_events)) + "\n\n"
        "Output a JSON formed as:\n"
        '{"event_pairs": [{"pred_event": "copy an event from List 1 here", "gt_events": [{"gt_event": "copy an event from '
        'List 2 here", "relationship": "put class name here"}, ...]}, ...]}\n'
        "Include every event of List 1, and for each of them every event of List 2. Only output the JSON."
    )
    return [{"role": "user", "content": text}]


def entailment(events: list[str], description: str) -> list[dict]:
    """AutoDQ (Tarsier): is each event entailed by the description?"""
    text = (
        "Below is a description of a video and a numbered list of events.\n"
        f"Description: {description}\n\nEvents:\n" + "\n".join(f"{i + 1}. {e}" for i, e in enumerate(events)) + "\n\n"
        "For each event, decide whether the description entails it (the description states or clearly implies it), "
        "contradicts it, or neither. Answer with a JSON object "
        '{"labels": ["entailment" | "contradiction" | "neutral", ...]} with one label per event, in order. Only output the JSON.'
    )
    return [{"role": "user", "content": text}]


def format_alignment(reference: str, predicted: str) -> list[dict]:
    """Supplement Fig. 8: rewrite a prediction in the reference's format without changing its content."""
    text = (
        "You are an AI assistant that reformats generated text to match the reference text format while preserving the "
        "original meaning. Your task is to ensure that the 'generated_text' is aligned with the 'reference text' in both "
        "formatting and expression style. The final output should match the style of the reference. Do not add or remove "
        f"content. Output only the rewritten text.\nReference Text: {reference}\nGenerated Text: {predicted}"
    )
    return [{"role": "user", "content": text}]


SCORE_CRITERIA = {
    "correctness": "factual accuracy: does the predicted description of the facial expressions and their changes agree "
    "with the reference, without claims the reference contradicts?",
    "detail": "detail orientation: does the prediction cover the facial actions and changes the reference describes, "
    "with specific rather than generic wording?",
    "context": "contextual understanding: does the prediction convey the same overall emotional context and person as the "
    "reference?",
    "temporal": "temporal understanding: does the prediction describe the facial changes in the same order as the "
    "reference?",
    "consistency": "consistency: do the two predictions, given for the same video, describe it consistently with each "
    "other and with the reference?",
}


def judge_score(criterion: str, reference: str, predicted: str, second: str | None = None) -> list[dict]:
    """A Video-ChatGPT-style integer score 0-5 for one criterion."""
    preds = f"Predicted description: {predicted}" if second is None else f"Prediction 1: {predicted}\nPrediction 2: {second}"
    text = (
        "You evaluate descriptions of a person's facial expressions in a video against a reference description. "
        f"Criterion — {SCORE_CRITERIA[criterion]}\n\nReference description: {reference}\n{preds}\n\n"
        'Give an integer score from 0 (worst) to 5 (best). Answer only with a JSON object {"score": N}.'
    )
    return [{"role": "user", "content": text}]
