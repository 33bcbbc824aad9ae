"""Conversations to token ids, with the LLM's own chat template.

``<video>`` in the first human turn becomes one placeholder id (``VIDEO_TOKEN``, negative so it can never
collide with the vocabulary) where the model splices the video and face tokens.  Labels are -100 except
on the assistant's replies, end-of-turn tokens included, so the model learns to stop.
"""

from __future__ import annotations

from typing import Any

VIDEO_TOKEN = -200
VIDEO_TAG = "<video>"
IGNORE = -100
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
FALLBACK_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}USER: {{ m['content'] }}\n"
    "{% elif m['role'] == 'assistant' %}ASSISTANT: {{ m['content'] }}{{ eos_token }}\n"
    "{% else %}{{ m['content'] }}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def to_messages(conversations: list[dict[str, Any]]) -> list[dict[str, str]]:
    """VideoLLaMA2's ``{"from", "value"}`` turns as chat-template messages."""
    out = []
    for turn in conversations:
        role = ROLES.get(str(turn.get("from", turn.get("role"))))
        value = turn.get("value", turn.get("content"))
        if role is None or not isinstance(value, str):
            raise ValueError(f"malformed conversation turn: {str(turn)[:80]}")
        out.append({"role": role, "content": value})
    if not out or out[0]["role"] not in ("user", "system"):
        raise ValueError("a conversation must start with the human turn")
    if sum(m["content"].count(VIDEO_TAG) for m in out) != 1:
        raise ValueError(f"a conversation must hold exactly one {VIDEO_TAG} tag")
    return out


def _render(tok, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    template = None if getattr(tok, "chat_template", None) else FALLBACK_TEMPLATE
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt, chat_template=template)


def _segments(tok, messages: list[dict[str, str]], train: bool) -> list[tuple[str, bool]]:
    """The rendered conversation as (text, is_target) pieces, in order."""
    if not train:
        return [(_render(tok, messages, True), False)]
    pieces: list[tuple[str, bool]] = []
    done = ""
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        prompt, full = _render(tok, messages[:i], True), _render(tok, messages[: i + 1], False)
        if not prompt.startswith(done) or not full.startswith(prompt):
            raise ValueError("the chat template does not render conversations incrementally; cannot mask the prompt")
        pieces += [(prompt[len(done):], False), (full[len(prompt):], True)]
        done = full
    if not pieces:
        raise ValueError("a training conversation needs an assistant reply")
    return pieces


def encode(tok, conversations: list[dict[str, Any]], train: bool = True) -> tuple[list[int], list[int]]:
    """Token ids with one ``VIDEO_TOKEN`` and the matching labels (-100 outside the replies)."""
    messages = to_messages(conversations)
    if not train and messages[-1]["role"] == "assistant":
        messages = messages[:-1]
    ids: list[int] = []
    labels: list[int] = []
    for text, target in _segments(tok, messages, train):
        parts = text.split(VIDEO_TAG)
        for k, part in enumerate(parts):
            if k:
                ids.append(VIDEO_TOKEN)
                labels.append(IGNORE)
            if part:
                t = tok(part, add_special_tokens=False)["input_ids"]
                ids += t
                labels += t if target else [IGNORE] * len(t)
    return ids, labels


def user_turn(instruction: str) -> list[dict[str, str]]:
    """A captioning request: the video, then the instruction (the training data's layout)."""
    return [{"from": "human", "value": f"{VIDEO_TAG}\n{instruction}"}]
