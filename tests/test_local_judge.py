"""The local judge: the grammar of facial actions on real FEC-Bench references and on the paraphrases
an embedding judge missed."""

import json
from pathlib import Path

import numpy as np
import pytest

from fdacli.core.score.judges.local import LocalJudge, as_event, relation
from fdacli.core.score.metrics.tem import OPPOSITE, SAME, tem_score
from fdacli.core.text import grammar

REFS = json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())


@pytest.fixture(scope="module")
def judge():
    return LocalJudge()


def rel(a: str, b: str) -> str:
    return relation(as_event(a), as_event(b))[0]


def tem_of(judge, preds, refs):
    rels = judge.relations(list(zip(preds, refs)))
    return [tem_score(m, len(p), len(r)) for m, p, r in zip(rels, preds, refs)]


def test_events_follow_the_papers_extraction_rules():
    caption = ("This video shows a middle-aged man. He has short brown hair, thick eyebrows, and clear forehead wrinkles. "
               "At the beginning of the video, he opens his eyes, looks forward, and closes his mouth. [He seems calm.] "
               "The camera zooms in. As the video progresses, he blinks, and his mouth opens and closes as he speaks. "
               "Towards the end, he stops speaking.")
    ev = grammar.extract(caption)
    assert [e.structure() for e in ev] == [
        "eyes · open", "gaze · look · forward", "mouth · close", "eyes · blink", "mouth · open", "mouth · close",
        "mouth · speak", "mouth · not speak"]
    assert not any("hair" in e.text or "wrinkles" in e.text or "calm" in e.text or "camera" in e.text for e in ev)
    assert ev[1].text == "looks forward" and ev[0].text == "the person opens the eyes"  # pronouns resolved
    assert grammar.extract("") == [] and grammar.extract("She seems happy overall.") == []


def test_at_most_ten_events_in_caption_order_on_real_references():
    for r in REFS:
        ev = grammar.extract(r["caption"])
        assert 1 <= len(ev) <= 10, r["id"]
        assert all(len(e.text.split()) <= 10 for e in ev)
        rest = iter(grammar.parse(r["caption"]))
        assert all(any(x == e for x in rest) for e in ev)  # caption order kept: a subsequence of the parse


def test_past_the_cap_held_states_give_way_to_movements_in_order():
    """The extraction prompt: "a specific facial action or motion, NOT STATIC INFORMATION", at most 10 (issue 23:
    the judge's ten were the first ten clauses, opening states among them, and later actions were cut)."""
    opening = "At the beginning, her eyes are open, her gaze is fixed ahead and her lips are closed. "
    moves = ("Then she raises her brows, blinks, opens her mouth, smiles, tilts her head to the left, turns her head to the "
             "right, nods, frowns, closes her eyes and looks down.")
    assert [e.state for e in grammar.parse(opening)] == [True, True, True]
    kept = grammar.extract(opening + moves)
    assert [e.structure() for e in kept] == [
        "brows · raise", "eyes · blink", "mouth · open", "face · smile", "head · tilt · left", "head · turn · right",
        "head · nod", "brows · frown", "eyes · close", "gaze · look · down"]
    short = grammar.extract(opening + "Then she raises her brows and blinks.")  # below the cap states count
    assert [e.structure() for e in short] == ["eyes · open", "gaze · look · forward", "lips · close", "brows · raise", "eyes · blink"]
    # what a part stopped doing goes before a held state, and a held state before a movement
    ending = grammar.extract(opening + moves.replace("Then she", "Then she stops speaking, "))
    assert "mouth · not speak" not in [e.structure() for e in ending] and not any(e.state for e in ending)
    some = grammar.extract("Her eyes are wide open. " + moves.replace(" and looks down", ""))
    assert some[0].structure().startswith("eyes · widen") and len(some) == 10  # 10 candidates: nothing cut


@pytest.mark.parametrize("caption, expected", [
    ("Her eyes widen, then speaks softly.", ["eyes · widen", "mouth · speak"]),  # "eyes · speak" no more
    ("His head tilts down, still squinting.", ["head · lower", "eyes · narrow"]),  # not "head · narrow"
    ("Her gaze gradually softens.", ["eyes · relax"]),  # not "gaze · relax": a gaze has no aperture
    ("Her upper teeth gleam in a smile.", ["face · smile"]),  # not "teeth · smile"
    ("Her eyes look ahead, then pouts a little.", ["gaze · look · forward", "lips · pout"]),
    ("His eyes, then tilts slightly to the right.", ["head · tilt · right"]),
    ("The eyeballs lift slightly.", ["gaze · look · up"]),
    ("Her mouth half-open.", ["mouth · open"]),  # half-open is open for a mouth
    ("She bursts into a wide smile.", ["face · smile"]),  # "wide" is the smile's degree
    ("Her lips tighten, revealing the inner confusion.", ["lips · press"]),  # only a part can be shown
    ("He pushes his head slightly forward.", ["head · move · forward"]),
    ("The video focuses on her. The focus is on the facial expressions of the woman.", []),
    ("His expression does not change.", []),
    ("His upper lip curls up as he starts to talk.", ["lips · raise", "mouth · speak"]),  # no hair curls, no speech in the curl
    ("He then draws his lips into a tight pucker.", ["lips · press"]),  # a pucker is a purse (the guide's press)
    ("Her eyeballs protrude slightly.", ["eyes · widen"]),  # eyes bulge; they do not pout
])
def test_actions_bound_to_a_part_that_cannot_do_them_move_to_their_own(caption, expected):
    assert [e.structure().split(" (")[0] for e in grammar.parse(caption)] == expected


@pytest.mark.parametrize("a, b", [
    ("the corners of her mouth lift", "she smiles"),
    ("she gazes to the lower right", "she looks right"),
    ("her lips part", "her mouth opens slightly"),
    ("his eyes are wide open", "his eyes widen"),
    ("he furrows his brows", "he frowns"),
    ("his eyeballs move to the left", "he looks to the left"),
    ("her jaw drops", "she opens her mouth"),
    ("she bows her head", "she lowers her head"),
    ("the corners of his mouth turn upward", "he grins"),
    ("she moves her lips as she talks", "she speaks"),
    ("she juts her head forward", "her head tilts slightly forward"),  # where the head goes (labels: Same)
    ("he draws his head back a little", "he leans his head slightly back"),
    ("she puckers her lips", "she purses her lips"),
    ("his upper lip curls up", "his upper lip lifts slightly"),
    ("the tip of her tongue pokes out", "her tongue protrudes slightly"),
    ("her eyes slide to the left", "she looks to the left"),
    ("the lines on his forehead smooth out", "the wrinkles on his forehead relax"),
])
def test_paraphrases_of_one_action_are_same_meaning(a, b):
    assert rel(a, b) == SAME and rel(b, a) == SAME


@pytest.mark.parametrize("a, b", [
    ("he opens his mouth", "he closes his mouth"),
    ("she raises her eyebrows", "she furrows her brows"),
    ("he looks to the left", "he looks to the right"),
    ("she turns her head to the left", "she turns her head to the right"),
    ("his eyes widen", "he squints"),
    ("she smiles", "the corners of her mouth droop"),
    ("he speaks", "he stops speaking"),
    ("her face tenses", "her facial muscles relax"),
    ("she edges her head forward", "her head tilts back"),
    ("her tongue sticks out", "she draws her tongue back in"),
    ("his furrowed eyebrows relax", "he furrows his brows"),  # the predicate, not the adjective, is the action
])
def test_antonyms_and_opposite_directions_are_opposite_meaning(a, b):
    assert rel(a, b) == OPPOSITE and rel(b, a) == OPPOSITE


@pytest.mark.parametrize("a, b", [
    ("he raises his eyebrows", "he raises his head"),
    ("she opens her mouth", "she opens her eyes"),
    ("he turns his head to the left", "he nods"),
    ("she looks down", "she lowers her head"),
    ("he blinks", "he nods"),
])
def test_different_parts_or_actions_are_unrelated(a, b):
    assert rel(a, b) == "none"


def test_reference_against_itself_scores_one_and_others_far_lower(judge):
    caps = [r["caption"] for r in REFS[:40]]
    events = judge.extract_events(caps)
    same = tem_of(judge, events, events)
    assert all(r.tem == pytest.approx(1.0) for r in same)
    other = np.mean([r.tem for r in tem_of(judge, events[1:] + events[:1], events)])
    assert other < 0.6


def test_reversed_events_keep_f_but_lower_lcs(judge):
    events = judge.extract_events([r["caption"] for r in REFS[:20]])
    fwd = tem_of(judge, events, events)
    rev = tem_of(judge, [e[::-1] for e in events], events)
    assert np.mean([r.f for r in rev]) == pytest.approx(np.mean([r.f for r in fwd]))
    assert np.mean([r.lcs for r in rev]) < 0.6 * np.mean([r.lcs for r in fwd])


def test_flipped_caption_is_opposite_not_merely_unrelated(judge):
    ref = "She opens her mouth, raises her eyebrows, looks to the left and smiles."
    flipped = "She closes her mouth, lowers her eyebrows, looks to the right and frowns with the corners of her mouth turned down."
    (pe, re_) = judge.extract_events([flipped, ref])
    (m,) = judge.relations([(pe, re_)])
    r = tem_score(m, len(pe), len(re_))
    assert r.tem == 0.0 and r.opposite_pairs >= 4


def test_entailment_for_autodq_reads_the_whole_text(judge):
    text = REFS[0]["caption"]
    ev = judge.extract_events([text])[0]
    (own,) = judge.entailed([(ev, text)])
    assert all(own)
    (other,) = judge.entailed([(["the person sticks out the tongue and winks", "he looks to the right"],
                                "He looks to the left and keeps his mouth closed.")])
    assert other == [False, False]


def test_every_verdict_has_a_reason_and_unparsed_clauses_fall_back(judge):
    assert "one side negated" in relation(as_event("he speaks"), as_event("he stops speaking"))[1]
    odd = grammar.parse("Her nostrils crinkling oddly, her nose quirks sideways.")
    assert odd and all(e.region == "nose" for e in odd)
    fb = as_event("her cheekbones glisten brightly")
    assert not fb.parsed and judge.is_fallback(fb.text) and "(fallback)" in fb.structure()
    assert relation(fb, as_event("her cheekbones glisten in the light"))[1].startswith("fallback: word overlap")


def test_the_judge_costs_no_more_than_three_rouge_l_passes():
    """Issue 14's speed target as a ratio measured in one process (no absolute timings): TEM + AutoDQ with the
    judge starting cold, against ROUGE-L over the same 150 hand-labelled (prediction, reference) pairs."""
    import time

    from fdacli.core.score.agreement import load_gold
    from fdacli.core.score.judges.local import caches_clear
    from fdacli.core.score.metrics.ngram import rouge_l_f1
    from fdacli.core.score.scoring import Captions, EventStore, score_model

    gold = load_gold(sorted((Path(__file__).parent / "data" / "judge_gold").glob("gold_*.jsonl")))
    pairs = [(p["caption"], g["reference"]) for g in gold for p in g["predictions"]]
    preds = Captions("p", {str(k): p for k, (p, _) in enumerate(pairs)})
    refs = Captions("r", {str(k): r for k, (_, r) in enumerate(pairs)})

    def best(run) -> float:
        times = []
        for _ in range(3):
            caches_clear()
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        return min(times)

    rouge = best(lambda: [rouge_l_f1(p, r) for p, r in pairs])
    judge = LocalJudge()
    local = best(lambda: score_model(preds, refs, judge, EventStore(judge), ("tem", "autodq")))
    assert local <= 3 * rouge, f"local judge {local:.3f} s vs ROUGE-L {rouge:.3f} s"


@pytest.mark.parametrize("caption, expected", [
    ("Her right eye moves slightly to the left.", ["gaze · look · left"]),  # "right eye" names a part
    ("She smiles at the camera.", ["face · smile · forward"]),  # the camera is where, not who
    ("The camera zooms in on her face.", []),
    ("A woman with long hair opens her mouth.", ["mouth · open"]),  # looks in the sentence, an action all the same
    ("She has slightly arched eyebrows.", []),
    ("No blinking is observed.", ["eyes · not blink"]),
    ("She cannot stop smiling.", ["face · smile"]),  # twice negated
    ("She isn\u2019t smiling.", ["face · not smile"]),
    ("She raises her hand to her mouth.", []),  # the hand moves
    ("She opens and closes her mouth.", ["mouth · open", "mouth · close"]),
    ("She blinks. Later in the video, she blinks again.", ["eyes · blink", "eyes · blink"]),
    ("She smiles (happily. Then she frowns and looks left (briefly).", ["face · smile", "brows · frown", "gaze · look · left"]),
])
def test_hard_wordings(caption, expected):
    assert [e.structure().split(" (")[0] for e in grammar.parse(caption)] == expected


@pytest.mark.parametrize("caption, expected", [
    # "DON'T repeat same events": an action said to go on is the event said before (every labeller, below the cap)
    ("She opens her mouth and speaks. Later she continues to speak, her mouth remains open, revealing teeth.",
     ["mouth · open", "mouth · speak"]),
    ("Her mouth opens. It stays slightly open.", ["mouth · open"]),
    ("She keeps her lips pressed together.", ["lips · close"]),  # said the first time, it is an event
    ("She blinks, then opens her mouth to continue speaking.", ["eyes · blink", "mouth · open"]),  # "continue" is the speech's
    ("He nods. Still smiling, he nods again.", ["head · nod", "face · smile", "head · nod"]),  # again is a new event
    ("He begins talking, his lips moving.", ["mouth · speak"]),  # one event in two readings
    ("The corners of her mouth lift, and a smile appears.", ["mouth corners · raise"]),
    ("Her brow furrows, eyebrows pressed down.", ["brows · frown"]),
    # the guide: pure emotion words are not events; a face that tenses is
    ("She looks calm and thoughtful. Her face stays relaxed. He appears at ease.", []),
    ("His facial muscles tense, then the expression gradually relaxes.", ["face · tense", "face · relax"]),
    # the predicate is the action, not an adjective or a noun before the part
    ("His furrowed eyebrows relax.", ["brows · relax"]),
    ("The tension in his brows eases.", ["brows · relax"]),
    ("Lines on his forehead smooth out.", ["forehead · relax"]),
    ("The wrinkles between her eyebrows are clearly visible.", ["brows · frown"]),  # "visible" is no verb
    # words added to the lexicon in grammar-v3
    ("Her eyes slid to the right, then flick to the left.", ["gaze · look · right", "gaze · look · left"]),
    ("Her eyeballs pivot slightly to the left.", ["gaze · look · left"]),
    ("She bent her head forward and threw her head back.", ["head · tilt · forward", "head · tilt · back"]),
    ("She bursts into laughter.", ["face · laugh"]),
    ("His eyes are cast down.", ["gaze · look · down"]),
    ("She keeps her eyes downcast.", ["gaze · look · down"]),
    ("He stares intently.", ["gaze · look"]),  # a stare is always the eyes, unlike "looks content"
    ("His upper lip hikes up, then his lower lip moves down.", ["lips · raise", "lips · lower"]),
    ("Her lips curl upwards.", ["mouth corners · raise"]),  # not speech: the mouth's corners
    ("Her lips purse forward into an O shape.", ["lips · pout · forward"]),  # pushed out
    ("Her upper lids draw up. His jaw moves downward.", ["eyes · widen", "mouth · open"]),
    ("She drew her head back a little.", ["head · move · back"]),
    # the tongue goes out or back in
    ("The tip of her tongue poked out, then she retracts her tongue.", ["tongue · pout", "tongue · stretch"]),
    ("Her tongue briefly extends.", ["tongue · pout"]),
    # words that are no action where they stand, and directions that are none
    ("He smiles as he goes on. During the first part, her brows knit.", ["face · smile", "brows · frown"]),
    ("Her mouth is left hanging open.", ["mouth · open"]),
    ("He tilts his head to the left side.", ["head · tilt · left"]),
    ("As he finishes talking, he smiles.", ["mouth · not speak", "face · smile"]),
    ("He has a small black mustache above his lips.", []),
    ("In the video, a woman with messy blond curls stands in the dark, her eyes a little wide.", ["eyes · widen"]),
    # a direction said before ("the same way", "accordingly", "follow suit")
    ("He swivels his head to the right while his eyes drift the same way.", ["head · turn · right", "gaze · look · right"]),
    ("She turns her head to the left, and her eyeballs follow suit.", ["head · turn · left", "gaze · look · left"]),
    ("His forehead wrinkles, his eyes widen and gaze forward.", ["brows · wrinkle", "eyes · widen", "gaze · look · forward"]),
])
def test_grammar_v3_wordings(caption, expected):
    """Issue 23's second pass: the causes found when good paraphrases scored under their labels (docs/benchmarks.md)."""
    assert [e.structure().split(" (")[0] for e in grammar.parse(caption)] == expected


def test_past_the_cap_a_face_at_rest_goes_first_and_pursing_is_a_clear_action():
    """The most static information (eyes open, looking ahead, mouth closed) gives way before other held states
    (the paper's own example drops "her eyes are open"); pursed lips and flared nostrils are facial actions."""
    caption = ("At first her eyes are open, her lips are slightly parted and her brows are furrowed. Then she purses her "
               "lips, flares her nostrils, raises her brows, blinks, opens her mouth, smiles, closes her eyes and nods.")
    kept = [e.structure().split(" (")[0] for e in grammar.extract(caption)]
    assert "eyes · open" not in kept and "lips · press" in kept and "nose · flare" in kept
    assert len(kept) == 10 and kept[:2] == ["lips · open", "brows · frown"]  # the other states still open the ten
    moves = ("She purses her lips, flares her nostrils, raises her brows, blinks, opens her mouth, smiles, her lips move, "
             "frowns, closes her eyes, looks down and nods.")
    kept = [e.structure().split(" (")[0] for e in grammar.extract(moves)]
    assert len(kept) == 10 and "lips · move" not in kept and kept[:2] == ["lips · press", "nose · flare"]


def test_an_event_is_the_same_as_itself_and_copies_keep_their_parse(judge):
    import copy
    import pickle

    for caption in ["She looks left, then right.", "He looks back at the camera.", REFS[3]["caption"]]:
        events = judge.extract_events([caption])[0]
        (m,) = judge.relations([(events, events)])
        assert all(m[i][i] == SAME for i in range(len(events)))
        assert [e.event for e in copy.deepcopy(events)] == [e.event for e in pickle.loads(pickle.dumps(events))]


@pytest.mark.parametrize("caption, expected", [
    # atomic events (the prompt: "cannot be further split"): a mouth that moves to speak, and the speech
    ("She closes her mouth to start speaking.", ["mouth · close", "mouth · speak"]),
    ("Her lips part slightly to speak.", ["lips · open", "mouth · speak"]),
    ("She begins to speak. She continues to talk.", ["mouth · speak"]),  # no mouth movement before "to"
    # parts listed before one predicate: one event each (README of the gold, the overlap pass)
    ("Her cheeks, mouth, and nose tremble slightly.", ["cheeks · tremble", "mouth · tremble", "nose · tremble"]),
    ("She tilts her head, looking ahead with her eyes, mouth closed.", ["head · tilt", "gaze · look · forward", "mouth · close"]),
    # the part a clause named carries on: the jaw rises (closes the mouth), the lids rise (widen the eyes)
    ("His jaw dropped, before rising again. Her eyelids droop, then rise.",
     ["mouth · open", "mouth · close", "eyes · narrow", "eyes · widen"]),
    # returns ("return", "bring back", "then back to"): the part moves back
    ("Her eyes shift to the left and then back to the right.", ["gaze · look · left", "gaze · look · right"]),
    ("She turns her head to the left, then back to center.", ["head · turn · left", "head · move"]),
    ("She brings her head back to center. Her head returns to its original position.", ["head · move", "head · move"]),
    ("Returning to a more serene expression.", ["face · relax"]),
    ("His nostrils expand.", ["nose · widen"]),  # a flare (the meaning table)
    # not the face acting: hair on the shoulders, what the camera sees or films
    ("She has long golden hair hanging loosely over her shoulders.", []),
    ("Only the back of his head remained visible. A young woman with long hair was filmed talking.", []),
    # ... but the words that said so do not reach further (a fresh-eyes review of v4): a woman filmed from the
    # side still smiles, moving closer is no mouth movement, "in return" returns nothing
    ("A woman filmed from the side slowly smiles.", ["face · smile"]),
    ("He leans closer to say something. She moves closer to speak.", []),
    ("In return, she smiles.", ["face · smile"]),
    ("[She seems tired.] Her eyes stay wide open. [She appears to be holding back tears.]", ["eyes · widen"]),  # the guide
    # what is shown is the event: wrinkles, held
    ("Visible wrinkles appear between her eyebrows, showing wrinkles on the forehead.", ["brows · frown", "brows · wrinkle"]),
])
def test_grammar_v4_wordings(caption, expected):
    """Issue 23's third pass (docs/benchmarks.md, grammar-v4)."""
    assert [e.structure().split(" (")[0] for e in grammar.parse(caption)] == expected


def test_v4_a_movement_after_a_held_state_is_no_repeat_and_a_returning_gaze_moves():
    """Past the cap, "DON'T repeat same events" counts what a part did before, not how it was held: "her eyes widen"
    after "her eyes are slightly widened" is a change (labellers kept 76 % of those, 49 % of repeated movements);
    and "returning to the right" moves the eyes, unlike "looking to the right"."""
    caption = ("At first her eyes are slightly widened. She blinks, nods, smiles, frowns, opens her mouth, turns her head to "
               "the left, closes her mouth, raises her brows, purses her lips, blinks again, and then her eyes widen.")
    kept = [e.structure().split(" (")[0] for e in grammar.extract(caption)]
    assert len(kept) == 10 and kept[-1] == "eyes · widen" and kept.count("eyes · blink") == 1
    gaze = grammar.parse("His eyes glance left before returning to the right.")
    assert [e.structure() for e in gaze] == ["gaze · look · left", "gaze · look · right"] and not gaze[1].state


# The paper's own extraction example (supplement Fig. 6): its caption, and the eight events ChatGPT extracted from it.
PAPER_CAPTION = (
    "this video shows the facial expressions of a young woman. she has short reddish-brown hair, large eyes, and a hooked "
    "nose, at the beginning of the video, her eyes are open, looking to the left, her mouth is slightly open, showing her "
    "upper teeth, with the corners of her mouth slightly upturned. as the video progresses, she turns her head to the "
    "right, with her eyeballs moving accordingly. her mouth opens and closes as she speaks, then, her mouth slowly "
    "closes, and the corners of her mouth stretch to both sides, in the middle of the video, she tilts her head slightly "
    "to the right. subsequently, she closes her mouth and then opens it wide, before closing it slowly again. at the end "
    "of the video, her mouth is slightly open, and her eyes look to the left. overall, she displays a relaxed and joyful "
    "demeanor.")
PAPER_EVENTS = ["Eyes looking to the left", "Mouth slightly open showing teeth", "Head turning to the right",
                "Speaking with mouth opening and closing", "Mouth stretching to both sides",
                "Head tilting slightly to the right", "Mouth opening wide", "Eyes looking to the left"]


def _found_in_order(wanted: list, events: list) -> int:
    """How many of ``wanted`` appear, in order, among ``events`` as the same action."""
    found, at = 0, 0
    for w in wanted:
        hit = next((k for k in range(at, len(events)) if relation(w, events[k])[0] == SAME), None)
        if hit is not None:
            found, at = found + 1, hit + 1
    return found


def test_v5_the_papers_own_example():
    """Every event the paper extracted is a candidate, in order, read as the paper's own event text reads.  Past the
    cap the judge keeps four of the paper's six movements: it keeps the mouth's opening and closing as atomic events
    beside the speech and its returns to rest, which the paper's ChatGPT folded or dropped and this project's
    labellers keep (82 % of returns past the cap, docs/benchmarks.md); merging the cycle into the speech was tried
    and not kept (a paraphrase without the speech then lost the events it shared)."""
    wanted = [grammar.parse(t)[0] for t in PAPER_EVENTS]
    assert [e.action for e in wanted][2:4] == ["turn", "speak"]
    assert _found_in_order(wanted, list(grammar.parse(PAPER_CAPTION))) == 8
    kept = grammar.extract(PAPER_CAPTION)
    assert len(kept) == 10 and _found_in_order([wanted[i] for i in (2, 3, 4, 5, 6, 7)], kept) == 4


@pytest.mark.parametrize("caption, expected", [
    # an action the part carried from the clause before cannot do waits for the part named after it; a part whose
    # opening is another's passes it on; a clause that is no bare verb does not wait
    ("She tilts her head to the right and opens and closes her mouth.", ["head · tilt · right", "mouth · open", "mouth · close"]),
    ("The corners of his mouth tug to both sides, then close tightly.", ["mouth corners · stretch", "mouth · close"]),
    ("Her eyes look down and then close. His eyes glance down, then open again.",
     ["gaze · look · down", "eyes · close", "gaze · look · down", "eyes · open"]),
    ("The eyebrows are slightly raised, especially on the inner part, and her eyes widen.", ["brows · raise", "eyes · widen"]),
    ("He turns his head and then slowly opens.", ["head · turn"]),
    ("Her eyebrows rise and come together, and her eyes narrow.", ["brows · raise", "brows · frown", "eyes · narrow"]),
    # an inference reaches from its word to the next comma: what is said before or after it was seen
    ("His mouth starts opening and closing as if speaking.", ["mouth · open", "mouth · close"]),
    ("She blinks, and her mouth starts to move as if speaking.", ["eyes · blink", "mouth · move"]),
    ("His mouth closes as if he is speaking, he blinks, then nods.", ["mouth · close", "eyes · blink", "head · nod"]),
    ("She seems happy overall. She seems nervous.", []),
    # the video as a time or place is no subject; as a subject it still is
    ("Throughout the clip his mouth repeatedly opens.", ["mouth · open"]),
    ("At the end of the video her mouth closes. A woman in the video clip smiles.", ["mouth · close", "face · smile"]),
    ("The top of the video slightly shakes. The camera zooms in on her face.", []),
])
def test_grammar_v5_wordings(caption, expected):
    """Issue 23's fourth pass (docs/benchmarks.md, grammar-v5): wordings of the paper's example and of dev references."""
    assert [e.structure().split(" (")[0] for e in grammar.parse(caption)] == expected
