"""CIDEr-D and ROUGE-L, computed as the COCO caption toolkit (pycocoevalcap) defines them.

CIDEr-D (Vedantam et al., 2015, with the "D" refinements used by coco-caption): per n in 1..4, TF-IDF
vectors of the n-grams, with document frequencies taken over the *reference sets of the scored corpus*
(so one item alone scores 0: every n-gram is in every document); the similarity of a candidate to a
reference clips candidate weights at the reference's, is divided by both norms, and is multiplied by a
Gaussian length penalty exp(-Δ²/2σ²), σ = 6, where length counts bigrams as coco-caption does; the
four n are averaged, references averaged, and the result scaled by 10.  The corpus score is the mean
over items, on the raw scale (the paper's table reports 0.418, not 41.8).

ROUGE-L: the longest common subsequence of tokens.  Two variants, both reported:
``rouge_l`` — F1 (β = 1) with rouge-score's tokenisation (lower-case, non-alphanumerics to spaces, no
stemming), the common choice today; ``rouge_l_coco`` — coco-caption's F with β = 1.2 on PTB tokens,
max precision and max recall over the references.

Tokenisation for CIDEr-D and rouge_l_coco is the PTB tokeniser: Stanford CoreNLP's (Java) when Java and
pycocoevalcap's bundled jar are available, else a pure-Python PTB-style tokeniser; which one ran is
recorded with the scores.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

PUNCTUATION = {"''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"}
SIGMA = 6.0


# ---------------------------------------------------------------- tokenisation
def ptb_jar() -> Path | None:
    """pycocoevalcap's Stanford CoreNLP jar, if that package is installed and Java is on PATH."""
    import importlib.util

    if shutil.which("java") is None:
        return None
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        return None
    jars = sorted(Path(list(spec.submodule_search_locations)[0], "tokenizer").glob("stanford-corenlp-*.jar"))
    return jars[0] if jars else None


_PTB_RULES = [
    (re.compile(r"([.,;:!?()\[\]{}\"])"), r" \1 "),
    (re.compile(r"(\w)(n't)\b", re.I), r"\1 \2"),
    (re.compile(r"(\w)('s|'re|'ve|'ll|'d|'m)\b", re.I), r"\1 \2"),
    (re.compile(r"--"), r" -- "),
]


def python_ptb_tokenize(text: str) -> list[str]:
    """A PTB-style tokeniser in pure Python: lower-case, punctuation split off and dropped."""
    t = text.lower().replace("\n", " ")
    for pat, rep in _PTB_RULES:
        t = pat.sub(rep, t)
    return [w for w in t.split() if w not in PUNCTUATION and w not in {"(", ")", "[", "]", "{", "}", '"'}]


def tokenize(texts: list[str], prefer_java: bool = True) -> tuple[list[list[str]], str]:
    """Tokenise many texts at once (one JVM start); returns tokens and the tokeniser's name."""
    jar = ptb_jar() if prefer_java else None
    if jar is not None:
        try:
            return _java_ptb(texts, jar), f"ptb-java ({jar.name})"
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return [python_ptb_tokenize(t) for t in texts], "ptb-python"


def _java_ptb(texts: list[str], jar: Path) -> list[list[str]]:
    lines = [" ".join(t.replace("\r", " ").split()) for t in texts]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(lines))
        name = fh.name
    try:
        cmd = ["java", "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase", name]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    finally:
        Path(name).unlink(missing_ok=True)
    rows = out.split("\n")[: len(lines)]
    if len(rows) != len(lines):
        raise ValueError("PTB tokenizer returned a different number of lines")
    return [[w for w in row.split() if w not in PUNCTUATION] for row in rows]


# ---------------------------------------------------------------- CIDEr-D
def _ngrams(tokens: list[str], n_max: int = 4) -> Counter:
    c: Counter = Counter()
    for n in range(1, n_max + 1):
        for i in range(len(tokens) - n + 1):
            c[tuple(tokens[i : i + n])] += 1
    return c


def cider_d(cands: list[list[str]], refs: list[list[list[str]]], n_max: int = 4) -> tuple[float, list[float]]:
    """Corpus CIDEr-D and per-item scores; ``refs[i]`` is the list of tokenised references of item i."""
    if len(cands) != len(refs):
        raise ValueError("one list of references per candidate")
    if not cands:
        return 0.0, []
    ref_counts = [[_ngrams(r, n_max) for r in rs] for rs in refs]
    df: Counter = Counter()
    for rcs in ref_counts:
        for g in set().union(*[set(rc) for rc in rcs]) if rcs else ():
            df[g] += 1
    log_n = math.log(float(len(refs)))

    def vec(counts: Counter):
        v = [dict() for _ in range(n_max)]
        norm = [0.0] * n_max
        length = 0
        for g, tf in counts.items():
            n = len(g) - 1
            w = tf * (log_n - math.log(max(1.0, df[g])))
            v[n][g] = w
            norm[n] += w * w
            if n == 1:
                length += tf
        return v, [math.sqrt(x) for x in norm], length

    scores = []
    for cand, rcs in zip(cands, ref_counts):
        vc, nc, lc = vec(_ngrams(cand, n_max))
        total = [0.0] * n_max
        for rc in rcs:
            vr, nr, lr = vec(rc)
            delta = float(lc - lr)
            for n in range(n_max):
                s = sum(min(w, vr[n].get(g, 0.0)) * vr[n].get(g, 0.0) for g, w in vc[n].items())
                if nc[n] != 0 and nr[n] != 0:
                    s /= nc[n] * nr[n]
                total[n] += s * math.exp(-(delta**2) / (2 * SIGMA**2))
        score = sum(total) / n_max / max(1, len(rcs)) * 10.0
        scores.append(score)
    return sum(scores) / len(scores), scores


# ---------------------------------------------------------------- ROUGE-L
def _lcs(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            cur[j] = prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def rouge_l_coco(cand: list[str], refs: list[list[str]], beta: float = 1.2) -> float:
    """coco-caption's ROUGE-L: max precision and max recall over references, F with β = 1.2."""
    if not cand or not refs:
        return 0.0
    precs, recs = [], []
    for r in refs:
        lcs = _lcs(cand, r)
        precs.append(lcs / len(cand))
        recs.append(lcs / len(r) if r else 0.0)
    p, r = max(precs), max(recs)
    return ((1 + beta**2) * p * r) / (r + beta**2 * p) if p and r else 0.0


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's default tokenisation (no stemming)."""
    return _NON_ALNUM.sub(" ", text.lower()).split()


def rouge_l_f1(cand: str, ref: str) -> float:
    """ROUGE-L F1 as rouge-score computes it for one reference."""
    c, r = rouge_tokens(cand), rouge_tokens(ref)
    if not c or not r:
        return 0.0
    lcs = _lcs(c, r)
    p, rec = lcs / len(c), lcs / len(r)
    return 2 * p * rec / (p + rec) if p + rec else 0.0
