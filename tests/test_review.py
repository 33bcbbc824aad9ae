"""`fda review` against a real Label Studio server (its own venv, loopback, SQLite) and a real headless browser.

The whole loop of the paper's human step: drafts from `fda preannotate` (a real loopback endpoint) pushed to
annotators, three of them correcting each draft through the HTTP API with their own tokens, pull with
agreement, consolidation before a reviewer, the reviewer's decisions pulled into annotations that
`fda build-instructions` turns into training data.  Then the faults: server down, wrong key, a project with
another config, a push killed half-way or repeated, exports with missing or cancelled annotations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import labelstudio_server as lss
from fake_openai import FakeOpenAI
from fdacli.core.review import labeling
from fdacli.core.review.labelstudio import LabelStudio

FDA = [sys.executable, "-m", "fdacli.cli"]
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("FDA_TEST_ARTIFACTS", REPO / "test-artifacts"))
REFS = json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())


def run(args, env=None, timeout=300):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "150", **(env or {})}, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def server(labelstudio):
    """The session's Label Studio server (conftest: started once, shared with the README test)."""
    return labelstudio


@pytest.fixture(scope="module")
def clips(tmp_path_factory, carphone):
    """Two real clips tracked and measured, and drafts for them from `fda preannotate` over HTTP."""
    d = tmp_path_factory.mktemp("review_clips")
    sample = REPO / "fdacli" / "data" / "sample.mp4"
    tracks, actions, drafts = d / "tracks.jsonl", d / "actions.jsonl", d / "pre.jsonl"
    assert run(["track", sample, carphone, "-o", tracks, "-q"]).returncode == 0
    assert run(["actions", tracks, "-o", actions, "-q"]).returncode == 0
    replies = iter([REFS[0]["caption"], REFS[1]["caption"]])
    with FakeOpenAI(responder=lambda body: ("ok", next(replies))) as srv:
        p = run(["preannotate", tracks, "-o", drafts, "--model", "vision-x", "--base-url", srv.base_url, "--no-cache",
                 "--concurrency", "1", "-q"])
    assert p.returncode == 0, p.stderr
    ids = sorted(json.loads(line)["id"] for line in tracks.read_text().splitlines())
    return {"dir": d, "tracks": tracks, "actions": actions, "drafts": drafts, "ids": ids}


def table_row(stderr: str) -> list[str]:
    """The values of a one-row summary table."""
    import re

    row = next(ln for ln in stderr.splitlines() if re.match(r"^│\s*\d", ln))
    return [c.strip() for c in row.strip("│ ").split("│")]


def client(server, who="lead") -> LabelStudio:
    return LabelStudio(server.url, server.users[who].token)


def tasks_by_id(server, title) -> dict[str, dict]:
    ls = client(server)
    p = ls.find_project(title)
    return {t["data"]["fda_id"]: t for t in ls.export(p.id)}


def submit(server, who, task_id, parts, drop=(), lead_time=30.0, cancelled=False):
    client(server, who).annotate(task_id, labeling.result(parts, drop), lead_time=lead_time, was_cancelled=cancelled)


def push(server, clips, title, *extra, who="lead"):
    media = server.media_root / "clips"
    return run(["review", "push", clips["drafts"], "--tracks", clips["tracks"], "--actions", clips["actions"],
                "--project", title, "--media", media, *extra], env=server.env(who))


def test_full_loop_from_drafts_to_training_data(server, clips, tmp_path):
    p = push(server, clips, "round 1", "--box")
    assert p.returncode == 0, p.stderr
    assert table_row(p.stderr) == ["2", "2", "0", "2", "0", "0"]  # clips, pushed, already there, encoded, failed, left out
    tasks = tasks_by_id(server, "round 1")
    assert sorted(tasks) == clips["ids"]
    a, b = clips["ids"]  # carphone_pristine, sample
    draft = {k[len("draft_"):]: v for k, v in tasks[a]["data"].items() if k.startswith("draft_") and k != "draft_model" and k != "draft_prompt"}
    text = {json.loads(x)["id"]: json.loads(x)["text"] for x in clips["drafts"].read_text().splitlines()}[a]
    assert draft["attributes"] == text.split(". At the beginning")[0] + "."  # the draft split into the paper's parts
    assert draft["facial_changes"].startswith("At the beginning") and "lowers his head" in draft["facial_changes"]
    assert " ".join(x for x in draft.values() if x) == " ".join(text.split())
    assert (server.media_root / "clips" / f"{a}.mp4").is_file()
    assert "s:" in tasks[a]["data"]["timeline"] or "no facial movement" in tasks[a]["data"]["timeline"]

    # three annotators correct each draft, on their own accounts
    fc = draft["facial_changes"]
    versions = {
        "ann1": {"attributes": draft["attributes"], "facial_changes": fc + " [He seems to be thinking.]", "summary": "A man thinks."},
        "ann2": {"attributes": draft["attributes"] + " He wears a shirt.", "facial_changes": fc.replace("he lowers his head", "he bows his head"),
                 "summary": "Un homme réfléchit — café ☺."},
        "ann3": {"attributes": "A man.", "facial_changes": "He closes his eyes, looks down and shakes his head. His mouth stays closed.",
                 "summary": "A man looks down."},
    }
    for who, parts in versions.items():
        submit(server, who, tasks[a]["id"], parts, lead_time={"ann1": 41.5, "ann2": 63.0, "ann3": 20.0}[who])
        submit(server, who, tasks[b]["id"], {**parts, "facial_changes": "He smiles."},
               drop=["too few facial changes"] if who != "ann1" else [])

    out = tmp_path / "versions.jsonl"
    p = run(["review", "pull", "--project", "round 1", "-o", out], env=server.env())
    assert p.returncode == 0, p.stderr
    recs = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    ra = recs[a]
    assert ra["status"] == "ok" and [v["annotator"] for v in ra["versions"]] == ["ann1@example.org", "ann2@example.org", "ann3@example.org"]
    v1, v2, v3 = ra["versions"]
    assert v1["changed"] == {"attributes": False, "facial_changes": True, "summary": True}
    assert v1["lead_time"] == 41.5 and v2["summary"] == "Un homme réfléchit — café ☺."
    by_pair = {(q["a"], q["b"]): q for q in ra["pairs"]}
    assert by_pair[(0, 1)]["facial_changes"] > by_pair[(0, 2)]["facial_changes"]  # the paraphrase agrees, the rewrite does not
    assert ra["medoid"]["facial_changes"] in (0, 1)
    assert "only in" in by_pair[(0, 2)]["differences"] or "opposite" in by_pair[(0, 2)]["differences"]
    assert recs[b]["drop_majority"] == ["too few facial changes"] and recs[b]["drop_votes"] == {"too few facial changes": 2}
    assert recs[b]["agreement"]["facial_changes"] == 1.0
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [a, b]  # least agreement first
    assert "lowest agreement first" in p.stderr and "few 2" in p.stderr

    # the final reviewer consolidates
    p = run(["review", "consolidate", out, "--project", "round 1 final"], env=server.env())
    assert p.returncode == 0, p.stderr
    final = tasks_by_id(server, "round 1 final")
    assert sorted(final) == clips["ids"]
    html = final[a]["data"]["versions_html"]
    assert "ann3@example.org" in html and "café ☺" in html and "agreement" in html
    medoid_fc = ra["versions"][ra["medoid"]["facial_changes"]]["facial_changes"]
    prediction = client(server).request("GET", "/api/predictions", query={"task": final[a]["id"]})
    pre_parts, pre_drop = labeling.read_result((prediction[0] if isinstance(prediction, list) else prediction["results"][0])["result"])
    assert pre_parts["facial_changes"] == medoid_fc
    submit(server, "reviewer", final[a]["id"], {**pre_parts, "facial_changes": pre_parts["facial_changes"].replace(" [He seems to be thinking.]", "")})
    submit(server, "reviewer", final[b]["id"], labeling.read_result(
        client(server).request("GET", "/api/predictions", query={"task": final[b]["id"]})[0]["result"])[0],
        drop=["too few facial changes"])

    ann = tmp_path / "annotations.jsonl"
    p = run(["review", "pull", "--project", "round 1 final", "-o", ann], env=server.env())
    assert p.returncode == 0, p.stderr
    finals = {r["id"]: r for r in map(json.loads, ann.read_text().splitlines())}
    fa = finals[a]
    assert fa["status"] == "ok" and fa["review"]["reviewer"] == "reviewer@example.org"
    assert fa["review"]["annotators"] == ["ann1@example.org", "ann2@example.org", "ann3@example.org"]
    assert "[" not in fa["facial_changes"]  # the reviewer removed ann1's inference marker (wherever the medoid came from)
    assert any("inference markers lost" in f for f in fa["flags"])
    assert fa["review"]["edited"]["facial_changes"] == ("[" in medoid_fc)
    assert finals[b]["status"] == "dropped" and finals[b]["drop"] == ["too few facial changes"]

    train = tmp_path / "train.jsonl"
    p = run(["build-instructions", ann, "-o", train, "--tracks", clips["tracks"]])
    assert p.returncode == 0, p.stderr
    (conv,) = [json.loads(x) for x in train.read_text().splitlines()]
    assert conv["id"] == a and conv["key_frames"] and "[" not in conv["conversations"][1]["value"]
    assert "dropped: too few facial changes" in p.stderr


def test_one_project_per_annotator_keeps_versions_independent_and_pulls_together(server, clips, tmp_path):
    """Label Studio Community shows a task's annotations to everyone who opens it; one project per annotator
    (each wanting one annotation) keeps the corrections independent, and pull merges them by clip."""
    titles = [f"solo {who}" for who in ("ann1", "ann2", "ann3")]
    for t in titles:
        assert push(server, clips, t, "--annotators", "1").returncode == 0
    a = clips["ids"][0]
    for who, t in zip(("ann1", "ann2", "ann3"), titles):
        submit(server, who, tasks_by_id(server, t)[a]["id"], {"attributes": "A man.", "facial_changes": f"He blinks. ({who})", "summary": ""})
    assert client(server).find_project(titles[0]).maximum_annotations == 1
    out = tmp_path / "v.jsonl"
    p = run(["review", "pull", *[x for t in titles for x in ("--project", t)], "-o", out], env=server.env())
    assert p.returncode == 0, p.stderr
    recs = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert recs[a]["status"] == "ok" and recs[a]["versions_wanted"] == 3
    assert [v["annotator"] for v in recs[a]["versions"]] == ["ann1@example.org", "ann2@example.org", "ann3@example.org"]
    assert recs[clips["ids"][1]]["status"] == "empty"


def test_the_editor_in_a_real_browser(server, clips):
    """An annotator logs in, opens a task: the clip plays (duration > 0) and the draft is there to correct."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    tools = lss.chromium()
    if tools is None:
        msg = f"chromium and chromedriver are not installed: run `{lss.SETUP}`"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    assert push(server, clips, "browser").returncode == 0
    task = tasks_by_id(server, "browser")["carphone_pristine"]
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1300"):
        opts.add_argument(arg)
    opts.binary_location = tools[0]
    driver = webdriver.Chrome(service=Service(tools[1]), options=opts)
    try:
        driver.set_page_load_timeout(120)
        user = server.users["ann1"]
        driver.get(server.url + "/user/login/")
        driver.find_element(By.NAME, "email").send_keys(user.email)
        driver.find_element(By.NAME, "password").send_keys(user.password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
        _until(lambda: "/user/login" not in driver.current_url, 60, "the login did not go through")
        project = client(server).find_project("browser")
        driver.get(f"{server.url}/projects/{project.id}/data?task={task['id']}")
        state = _until(lambda: driver.execute_script(
            "const v = document.querySelector('video'); return v && v.readyState >= 1 && v.duration > 0 ? [v.readyState, v.duration] : null"),
            90, "the clip never loaded in the video player")
        assert 3.5 < state[1] < 4.5  # carphone is 4 s
        text = _until(lambda: (lambda t: t if "lowers his head" in t else None)(driver.find_element(By.TAG_NAME, "body").text), 60,
                      "the draft is not shown")
        assert task["data"]["draft_attributes"][:40] in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "review_editor.png"))
    finally:
        driver.quit()
    assert (ARTIFACTS / "review_editor.png").stat().st_size > 10_000


def _until(fn, seconds, why):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.5)
    pytest.fail(why)


def test_server_down_wrong_key_and_missing_key_stop_before_any_work(server, clips, tmp_path):
    media = server.media_root / "never"
    base = ["review", "push", clips["drafts"], "--tracks", clips["tracks"], "--project", "x", "--media", media]
    down = run([*base, "--url", f"http://127.0.0.1:{lss._free_port()}"], env=server.env())
    assert down.returncode == 2 and "cannot be reached" in down.stderr and "Traceback" not in down.stderr
    wrong = "0" * 39 + "1"
    bad = run(base, env={**server.env(), "LABEL_STUDIO_API_KEY": wrong})
    assert bad.returncode == 2 and "refused the API key" in bad.stderr
    assert wrong not in bad.stderr + bad.stdout
    env = {k: v for k, v in server.env().items() if k != "LABEL_STUDIO_API_KEY"}
    none = subprocess.run([*FDA, *map(str, base)], capture_output=True, text=True, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if k != "LABEL_STUDIO_API_KEY"}, **env, "COLUMNS": "150"})
    assert none.returncode == 2 and "set the environment variable LABEL_STUDIO_API_KEY" in none.stderr
    assert not media.exists()
    for p in (down, bad, none):
        assert len(p.stderr.strip().splitlines()) <= 3, p.stderr  # one message, wrapped at most
    pull = run(["review", "pull", "--project", "x", "-o", tmp_path / "v.jsonl"], env={**server.env(), "LABEL_STUDIO_API_KEY": wrong})
    assert pull.returncode == 2 and wrong not in pull.stderr and not (tmp_path / "v.jsonl").exists()


def test_a_project_with_another_config_is_refused_unless_asked(server, clips):
    ls = client(server)
    ls.create_project("other config", "<View><Text name='t' value='$text'/></View>", "someone else's")
    p = push(server, clips, "other config")
    assert p.returncode == 2 and "exists with another labeling config" in p.stderr and "--update-config" in p.stderr
    assert ls.task_keys(ls.find_project("other config").id) == {}
    p = push(server, clips, "other config", "--update-config")
    assert p.returncode == 0, p.stderr
    assert labeling.same_config(ls.find_project("other config").label_config, labeling.annotate_config())
    p = push(server, clips, "other config", "--annotators", "5")  # the same config, other people per clip
    assert p.returncode == 2 and "asks for 3 annotation(s) per clip, not 5" in p.stderr
    assert ls.find_project("other config").maximum_annotations == 3


@pytest.mark.slow
def test_a_push_killed_half_way_then_repeated_makes_no_duplicates(server, clips, tmp_path):
    """Twelve clips pushed one task per request; the push is killed after the first tasks arrive, run again,
    and run a third time: every clip is there exactly once."""
    recs = [json.loads(x) for x in clips["tracks"].read_text().splitlines()]
    drafts = [json.loads(x) for x in clips["drafts"].read_text().splitlines()]
    tracks, pre = tmp_path / "tracks.jsonl", tmp_path / "pre.jsonl"
    tracks.write_text("".join(json.dumps({**recs[k % 2], "id": f"c{k:02d}"}) + "\n" for k in range(12)))
    pre.write_text("".join(json.dumps({**drafts[k % 2], "id": f"c{k:02d}"}) + "\n" for k in range(12)))
    args = [*FDA, "review", "push", pre, "--tracks", tracks, "--project", "killed", "--media", server.media_root / "killed",
            "--chunk", "1", "-q"]
    env = {**os.environ, **server.env(), "COLUMNS": "150"}
    proc = subprocess.Popen([str(a) for a in args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ls = client(server)
    _until(lambda: (p := ls.find_project("killed")) is not None and len(ls.task_keys(p.id)) >= 2, 120, "nothing was pushed")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    pid = ls.find_project("killed").id
    before = ls.task_keys(pid)
    assert 2 <= len(before) < 12, "the push ended before it could be killed"
    for _ in range(2):
        p = subprocess.run([str(a) for a in args[:-1]], env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
    ids = [t["data"]["fda_id"] for t in ls.export(pid)]
    assert sorted(ids) == [f"c{k:02d}" for k in range(12)]  # each once
    assert not list((server.media_root / "killed").glob(".*tmp-*"))  # no half clip left behind
    assert table_row(p.stderr) == ["12", "0", "12", "0", "0", "0"]


def test_export_with_missing_and_cancelled_annotations_and_files_without_the_api(server, clips, tmp_path):
    """Without the API: config and tasks written as files, imported by hand; a downloaded export read back,
    one clip short of its versions, a cancelled (skipped) annotation listed and not counted."""
    files = tmp_path / "files"
    p = run(["review", "push", clips["drafts"], "--tracks", clips["tracks"], "--to-files", files, "--media",
             server.media_root / "byhand"], env={"LOCAL_FILES_DOCUMENT_ROOT": str(server.media_root)})
    assert p.returncode == 0, p.stderr
    config = (files / "label_config.xml").read_text()
    tasks = json.loads((files / "tasks.json").read_text())
    assert labeling.same_config(config, labeling.annotate_config()) and len(tasks) == 2
    assert server.users["lead"].token not in (files / "tasks.json").read_text()
    ls = client(server)  # what a user does in the web UI: a project with that config, the tasks imported
    proj = ls.create_project("by hand", config, "")
    ls.connect_local_storage(proj.id, str(server.media_root / "byhand"), "clips")
    ls.import_tasks(proj.id, tasks)
    ids = ls.task_keys(proj.id)
    a, b = clips["ids"]
    submit(server, "ann1", ids[a], {"attributes": "A man.", "facial_changes": "He blinks.", "summary": "A man."})
    submit(server, "ann2", ids[a], {"attributes": "", "facial_changes": "", "summary": ""}, cancelled=True)
    submit(server, "ann3", ids[a], {"attributes": "A man.", "facial_changes": "He blinks twice.", "summary": "A man [calm]."})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(ls.export(proj.id)))
    out = tmp_path / "versions.jsonl"
    p = run(["review", "pull", "--export", export, "-o", out, "-n", "3"])
    assert p.returncode == 0, p.stderr
    recs = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert recs[a]["status"] == "incomplete" and recs[a]["error"] == "2 of 3 versions"
    assert len(recs[a]["versions"]) == 2 and len(recs[a]["cancelled"]) == 1
    assert recs[b]["status"] == "empty" and recs[b]["versions"] == []
    assert "short of 3" in p.stderr
    p = run(["review", "consolidate", out, "--to-files", tmp_path / "final"])
    assert p.returncode == 0 and "only 2 of 3 versions" in p.stderr
    assert json.loads((tmp_path / "final" / "tasks.json").read_text()) == []
    p = run(["review", "consolidate", out, "--to-files", tmp_path / "final", "--include-incomplete"])
    assert p.returncode == 0, p.stderr
    (task,) = json.loads((tmp_path / "final" / "tasks.json").read_text())
    assert task["data"]["fda_id"] == a and task["data"]["video"] == recs[a]["media"]


def test_bad_inputs_get_one_line(server, clips, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    p = run(["review", "pull", "--export", bad, "-o", tmp_path / "o.jsonl"])
    assert p.returncode == 2 and "not a Label Studio JSON export" in p.stderr
    p = run(["review", "consolidate", clips["tracks"], "--to-files", tmp_path / "f"])
    assert p.returncode == 2 and "not a record of `fda review pull`" in p.stderr and ":1:" in p.stderr
    p = run(["review", "push", clips["drafts"], "--tracks", clips["tracks"], "--to-files", tmp_path / "f",
             "--media", tmp_path / "elsewhere"], env={"LOCAL_FILES_DOCUMENT_ROOT": str(server.media_root)})
    assert p.returncode == 2 and "not inside the document root" in p.stderr
    p = run(["review", "push", clips["drafts"], "--tracks", clips["tracks"], "--to-files", tmp_path / "f",
             "--media", server.media_root / "x", "--actions", clips["tracks"]], env={"LOCAL_FILES_DOCUMENT_ROOT": str(server.media_root)})
    assert p.returncode == 2 and "not an `fda actions` record" in p.stderr


def test_a_missing_video_is_reported_and_not_pushed(server, clips, tmp_path):
    recs = [json.loads(x) for x in clips["tracks"].read_text().splitlines()]
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text(json.dumps(recs[0]) + "\n" + json.dumps({**recs[1], "video": str(tmp_path / "gone.mp4")}) + "\n")
    p = run(["review", "push", clips["drafts"], "--tracks", tracks, "--to-files", tmp_path / "f", "--media",
             server.media_root / "missing"], env={"LOCAL_FILES_DOCUMENT_ROOT": str(server.media_root)})
    assert p.returncode == 1 and "video not found" in p.stderr and "gone.mp4" in p.stderr
    assert [t["data"]["fda_id"] for t in json.loads((tmp_path / "f" / "tasks.json").read_text())] == [recs[0]["id"]]


def test_a_draft_that_changed_since_it_was_pushed_is_reported(server, clips, tmp_path):
    assert push(server, clips, "changed").returncode == 0
    drafts = [json.loads(x) for x in clips["drafts"].read_text().splitlines()]
    drafts[0]["text"] = "A man. He smiles and then frowns."
    pre = tmp_path / "pre.jsonl"
    pre.write_text("".join(json.dumps(d) + "\n" for d in drafts))
    p = push(server, {**clips, "drafts": pre}, "changed")  # the same push, one draft rewritten
    assert p.returncode == 0 and table_row(p.stderr)[1:3] == ["0", "2"]
    assert f"changed {drafts[0]['id']}: already in the project, pushed from other content" in p.stderr
    assert f"changed {drafts[1]['id']}" not in p.stderr
