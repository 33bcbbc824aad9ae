"""CIDEr-D and ROUGE-L agree with pycocoevalcap and rouge-score on real FEC-Bench references."""

import json
import random
from pathlib import Path

import pytest

from fdacli.core.score.metrics.ngram import cider_d, python_ptb_tokenize, rouge_l_coco, rouge_l_f1, tokenize

REFS = json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())


@pytest.fixture(scope="module")
def pairs():
    refs = REFS[:40]
    preds = [r["caption"] for r in refs]
    random.Random(0).shuffle(preds)
    return [str(r["id"]) for r in refs], preds, [r["caption"] for r in refs]


def test_cider_and_rouge_match_pycocoevalcap(pairs):
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    ids, preds, refs = pairs
    tk = PTBTokenizer()
    gts = tk.tokenize({i: [{"caption": r}] for i, r in zip(ids, refs)})
    res = tk.tokenize({i: [{"caption": p}] for i, p in zip(ids, preds)})
    want_cider, _ = Cider().compute_score(gts, res)
    want_rouge, _ = Rouge().compute_score(gts, res)
    for prefer_java in (True, False):
        toks, name = tokenize(preds + refs, prefer_java=prefer_java)
        cand, ref = toks[: len(ids)], toks[len(ids) :]
        got, per = cider_d(cand, [[r] for r in ref])
        assert got == pytest.approx(want_cider, abs=1e-9), name
        assert sum(rouge_l_coco(c, [r]) for c, r in zip(cand, ref)) / len(ids) == pytest.approx(want_rouge, abs=1e-9)


def test_rouge_l_f1_matches_rouge_score(pairs):
    from rouge_score import rouge_scorer

    _, preds, refs = pairs
    sc = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    for p, r in zip(preds, refs):
        assert rouge_l_f1(p, r) == pytest.approx(sc.score(r, p)["rougeL"].fmeasure, abs=1e-12)


def test_single_item_cider_is_zero_and_identical_corpus_is_ten():
    toks = python_ptb_tokenize(REFS[0]["caption"])
    assert cider_d([toks], [[toks]])[0] == 0.0  # document frequency over one item: every idf is 0
    corpus = [python_ptb_tokenize(r["caption"]) for r in REFS[:10]]
    assert cider_d(corpus, [[c] for c in corpus])[0] == pytest.approx(10.0)


def test_python_tokenizer_on_punctuation_and_contractions():
    assert python_ptb_tokenize("He doesn't smile; she's frowning (slightly).") == [
        "he", "does", "n't", "smile", "she", "'s", "frowning", "slightly"]
