"""The instructions FaceTrack-MM is trained and prompted with (paper §4.3, supplement Fig. 9).

The paper picks one of 20 equivalent phrasings per training sample; captioning asks with the same
phrasings, so they belong to the model, not to one stage.  Which phrasing an id gets depends only on
(seed, id), so it does not change when a dataset is reordered or grows.
"""

from __future__ import annotations

import hashlib

# This project's own phrasings of the supplement's Fig. 9 instruction (same request, varied wording).
INSTRUCTIONS = [
    "Please provide a detailed description of the facial appearance attributes and expression changes of the character in the video, including their expression state at the beginning and end of the video.",
    "Describe in detail how the main character's face looks and how their expression changes over the video, noting how it starts and how it ends.",
    "What does the person in the video look like, and how does their facial expression evolve from the first moment to the last? Please be detailed.",
    "Give a thorough account of the character's facial features and of every change in their expression during the video, including the opening and closing expressions.",
    "Walk me through the facial appearance of the person in this video and the way their expression shifts, from the beginning to the end.",
    "Provide a detailed caption of the main character's face: its attributes, the expression changes that happen, and the expression at the start and at the finish.",
    "Carefully describe the person's facial characteristics and the dynamics of their expression throughout the clip, mentioning the initial and final states.",
    "Explain in detail the appearance of the character's face and how their expressions change over time in the video, from start to end.",
    "Could you describe the facial attributes of the person in the video and trace how their expression develops, including how it begins and ends?",
    "Write a detailed description of the main person's facial appearance and the sequence of expression changes in the video, covering the beginning and the end.",
    "Detail the visible facial features of the character and every noticeable change in their expression across the video, including their first and last expressions.",
    "In detail, what are the facial appearance traits of the person shown, and how does their expression change as the video goes on, up to the end?",
    "Describe the character's face and the progression of their facial expressions in this video, being specific about the opening and closing moments.",
    "Please characterise the person's facial attributes and give a detailed account of how their expression changes from the start of the video to its end.",
    "Tell me in detail about the facial appearance of the main character and how their expression transforms during the video, including the initial and final expressions.",
    "Produce a detailed description covering the facial features of the person in the video, the changes in their expression, and their expression at the beginning and end.",
    "How does the main character look, and how do their facial movements and expressions change throughout the video? Include the expressions at the start and the end.",
    "Give a detailed narrative of the person's facial appearance and of the expression changes that occur in the video, from the first frame to the last.",
    "Describe, in detail, the facial attributes of the character and the way their expression unfolds over the course of the video, including how it begins and concludes.",
    "Provide a comprehensive description of the character's face in the video and the evolution of their expression, paying attention to the beginning and the end.",
]



def stable_unit(seed: int, key: str, salt: str) -> float:
    """A number in [0, 1) fixed by (salt, seed, key): per-id choices that survive reordering."""
    h = hashlib.sha256(f"{salt}:{seed}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def choose_instruction(rid: str, seed: int) -> int:
    return int(stable_unit(seed, rid, "instruction") * len(INSTRUCTIONS))
