"""README.md's examples, run as a reader runs them: in order, in one fresh folder, in one shell, each from files
that an earlier example or a shipped script wrote — and what each command prints compared with what README shows
(tests/readme_runner.py says how run-dependent values are matched).  README and behaviour cannot drift apart.

The few things README's prose says people do are done here, through the same interfaces: a Label Studio server
started with its variables exported (README: Setting up Label Studio), three annotators and a reviewer
submitting through the API on their own accounts.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

import pytest

import readme_runner as rr

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


# -- the runner itself (fast) ---------------------------------------------------------------------------------

def test_every_shell_block_runs_or_says_why_not():
    blocks = rr.parse(README)  # raises on an unmarked ```bash block or a malformed mark
    skipped = [b for b in blocks if b.not_run is not None]
    assert all(b.not_run.strip() for b in skipped)
    assert len(skipped) <= 6, [b.line for b in skipped]  # kept few
    ran = rr.plan(blocks)
    commands = [c.text for b in ran for c in b.commands]
    assert commands[0] == "fda track fdacli/data/sample.mp4 -o tracks.jsonl --viz viz"  # the quick start's
    assert any(c.startswith("fda sample ") for c in commands)
    # every fda command of README's sessions is run: none hides in a plain block
    for b in blocks:
        if b.lang not in ("console", *rr.SHELL_LANGS):
            assert not any(t.startswith("$ ") for _, t in b.body), f"README.md:{b.line}: a session outside ```console"


def test_outputs_are_compared_with_their_run_dependent_values_left_open():
    table = """tracking ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1/1 • 0:00:01 eta 0:00:00 sample: ok
fda track → tracks.jsonl
┏━━━━━━━━┳━━━━━━━━┳━━━━━━━━━┓
┃ status ┃ videos ┃ seconds ┃
┡━━━━━━━━╇━━━━━━━━╇━━━━━━━━━┩
│ ok     │      1 │     1.7 │
└────────┴────────┴─────────┘"""
    other_run = """tracking ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1/1 • 0:00:03 eta 0:00:00 sample: ok
fda track → tracks.jsonl                                      
┏━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┓
┃ status ┃ videos ┃  seconds ┃
┡━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━┩
│ ok     │      1 │     12.3 │
└────────┴────────┴──────────┘
"""
    assert rr.matches(table, other_run)
    assert not rr.matches(table, other_run.replace("│      1 │", "│      2 │"))  # a count is not a time
    assert not rr.matches(table, other_run.replace("1/1", "4/4"))
    assert rr.matches('{"id": "a", "seconds": 1.05, ...}', '{"id":"a","seconds":0.97,"status":"ok"}')
    assert rr.matches("error: x (pid 3590, started 2026-12-02 12:51:26); wait\nfor it",
                      "error: x (pid 17, started 2027-01-05 09:01:02); wait for it")
    assert not rr.matches("4 clips written; 0 skipped", "4 clips written; 1 skipped")
    assert not rr.matches("", "something printed")
    expected = [(10, "fda actions → actions.jsonl"), (11, "│ 2     │  2 │     0 │"), (12, "events by kind")]
    got = "fda actions → actions.jsonl\n│ 8     │  1 │     7 │\nevents by kind\n"
    assert rr.first_bad_line(expected, got) == 11  # the README line to look at


def test_the_first_mismatch_names_its_readme_line_the_command_and_both_outputs(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("""# demo

```console
$ echo '{"id": "a", "status": "ok"}' > out.jsonl
$ cat out.jsonl
{"id": "a", "status": "ok"}
$ echo 3 clips written
4 clips written
$ echo never run
never run
```
""")
    sh = rr.Shell(tmp_path, rr.environment(REPO, tmp_path), tmp_path / "logs")
    try:
        bad = rr.run(rr.sessions(rr.parse(readme)), sh)
    finally:
        sh.close()
    assert len(bad) == 1 and bad[0].line == 8 and bad[0].command.line == 7
    text = str(bad[0])
    assert text.startswith("README.md:8: the output differs from README")
    assert "$ echo 3 clips written" in text and "4 clips written" in text and "3 clips written" in text.split("got:")[1]


def test_a_background_server_and_exit_codes_behave_as_in_a_terminal(tmp_path):
    sh = rr.Shell(tmp_path, rr.environment(REPO, tmp_path), tmp_path / "logs")
    try:
        assert sh.run("(sleep 0.5; echo ready > url.txt) &", 10) == ("", 0)
        assert sh.run("until [ -s url.txt ]; do sleep 0.1; done; cat url.txt", 10) == ("ready\n", 0)
        assert sh.run("false", 10)[1] == 1
        assert sh.run("echo $?", 10) == ("1\n", 0)
        assert sh.run("fda track missing.mp4 -o o.jsonl -q  # a comment", 60)[1] == 1
        assert sh.run("echo $?", 10) == ("1\n", 0)
    finally:
        sh.close()


# -- README, run ------------------------------------------------------------------------------------------------

VERSIONS = {  # what three people wrote for each draft (README: "After three annotators submitted")
    "carphone": {
        "ann1": ({"attributes": "A middle-aged man with short dark hair and a moustache, sitting in a car.",
                  "facial_changes": "At the beginning of the video, he looks to the right and speaks, then turns his head "
                                    "slightly to the left. As the video progresses, his mouth opens as he talks, and he "
                                    "blinks. [He seems to be in a serious conversation.]",
                  "summary": "A man talks in a car."}, [], 96.4),
        "ann2": ({"attributes": "A middle-aged man with short dark hair and a moustache.",
                  "facial_changes": "At the beginning of the video, he turns his head to the right and talks. As the video "
                                    "progresses, he blinks and opens his mouth to speak. [He seems to be explaining "
                                    "something.]",
                  "summary": "A man talks seriously on the phone in a car."}, [], 63.0),
        "ann3": ({"attributes": "A man with dark hair in a car.",
                  "facial_changes": "He stares straight ahead, then nods and opens his mouth.",
                  "summary": "A man talks in a car."}, ["too few facial changes"], 41.5),
    },
    "sample": {
        who: ({"attributes": "A middle-aged man with short black hair, in a photograph that slides across a wall.",
               "facial_changes": "There is no obvious change in his facial expression.",
               "summary": "A still face."}, drop, 20.0)
        for who, drop in (("ann1", []), ("ann2", ["too few facial changes"]), ("ann3", ["too few facial changes"]))
    },
}


def setups(labelstudio) -> dict:
    """What README's prose says people do, done through the same interfaces (the `setup:` marks)."""
    from fdacli.core.review import labeling
    from fdacli.core.review.labelstudio import LabelStudio

    def as_(who):
        return LabelStudio(labelstudio.url, labelstudio.users[who].token)

    def tasks(title):
        ls = as_("lead")
        return {t["data"]["fda_id"]: t for t in ls.export(ls.find_project(title).id)}

    def label_studio(shell):  # README: Setting up Label Studio (a server, its three variables in the shell)
        env = labelstudio.env("lead")
        shell.run("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()), 30)

    def annotators(shell):
        for clip, task in tasks("FDA round A").items():
            for who, (parts, drop, lead_time) in VERSIONS[clip].items():
                as_(who).annotate(task["id"], labeling.result(parts, drop), lead_time=lead_time)

    def reviewer(shell):  # keeps carphone, the medoid without its inference brackets; drops the sample clip
        for clip, task in tasks("FDA round A — final").items():
            pred = as_("lead").request("GET", "/api/predictions", query={"task": task["id"]})
            parts, drop = labeling.read_result((pred[0] if isinstance(pred, list) else pred["results"][0])["result"])
            if clip == "carphone":
                parts = {**parts, "facial_changes": parts["facial_changes"].split(" [")[0]}
                drop = []
            else:
                drop = ["too few facial changes"]
            as_("reviewer").annotate(task["id"], labeling.result(parts, drop), lead_time=120.0)

    return {"label-studio": label_studio, "annotators": annotators, "reviewer": reviewer}


@pytest.mark.slow
def test_readme_examples_run_in_order_in_one_folder_and_print_what_readme_shows(tmp_path, labelstudio):
    blocks = rr.plan(rr.parse(README))
    folder = rr.fresh_folder(REPO, tmp_path / "clone")
    shell = rr.Shell(folder, rr.environment(REPO, folder), tmp_path / "logs")
    log = []
    t0 = time.monotonic()
    try:
        bad = rr.run(blocks, shell, setups(labelstudio), log=log.append, timeout=900,
                     stop=not os.environ.get("FDA_README_ALL"))  # =1: every mismatch, for fixing README
    finally:
        shell.close()
    print(f"README ran in {time.monotonic() - t0:.0f} s:\n" + "\n".join(log))
    assert not bad, "\n\n".join(map(str, bad))
