"""The grammar's vocabulary is a versioned data file, checked when it is loaded (fdacli/core/text/lexicon.py)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from fdacli.core.score.judges.local import LocalJudge
from fdacli.core.text import grammar
from fdacli.core.text.lexicon import DEFAULT, LexiconError, load_lexicon

SHIPPED = resources.files("fdacli").joinpath("data", "grammar", DEFAULT)


def _raw() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_the_package_ships_the_lexicon_and_the_grammar_version_is_the_files():
    lex = load_lexicon()
    assert lex.version == grammar.VERSION == _raw()["version"] == "grammar-v5"
    assert LocalJudge().provenance()["grammar_version"] == lex.version
    assert grammar.REGIONS == lex.regions and grammar.DIRECTIONS == lex.directions and grammar.ACTIONS == lex.actions
    assert set(grammar.FAMILY) == set(lex.regions)


def test_the_file_lists_one_entry_per_line_so_a_synonym_is_a_one_line_change():
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    assert any(line.strip().startswith('"move": [') and line.rstrip().endswith("],") for line in lines)
    assert len(lines) > 150  # not one long line


def test_a_synonym_added_to_the_data_is_read_without_touching_the_parser():
    # "straighten" was added to the move forms of lexicon-v2.json as one line (issue 23), "slid" to those of v3
    assert [e.structure() for e in grammar.parse("She straightens her head.")] == ["head · move"]
    assert [e.structure() for e in grammar.parse("He looks straight ahead.")] == ["gaze · look · forward"]
    assert [e.structure() for e in grammar.parse("Her eyes slid to the right.")] == ["gaze · look · right"]
    # v4: "return" and "bring" move a part, "expand" widens it, and nostrils that widen flare (one line each)
    assert [e.structure() for e in grammar.parse("His eyes return to the right.")] == ["gaze · look · right"]
    assert [e.structure() for e in grammar.parse("She brings her head back.")] == ["head · move · back"]
    assert [e.structure() for e in grammar.parse("Her eyes expand.")] == ["eyes · widen"]
    flare, widen = grammar.parse("His nostrils flare. His nostrils widen.")
    assert grammar.relation(flare, widen)[0] == "same"


def test_the_words_around_actions_are_data_too(tmp_path):
    """Which forms are no action in a context, which words only say how a face seems, which nouns name a state,
    which states are a face at rest: each is a list in the file, read without touching the parser."""
    lex = load_lexicon()
    assert lex.not_before["goes"] == (" on",) and "first" in lex.not_after["part"]
    assert {"calm", "relaxed"} <= lex.demeanour and "tension" in lex.nominal
    assert ("eyes", "open", ()) in lex.resting and ("gaze", "look", ("forward",)) in lex.resting


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_a_copy_of_the_shipped_file_loads_the_same(tmp_path):
    assert load_lexicon(_write(tmp_path, _raw())) == load_lexicon()


@pytest.mark.parametrize("spoil, says", [
    (lambda r: r.pop("actions"), "actions: missing"),
    (lambda r: r.update(version="v2"), "version: 'v2' is not grammar-vN"),
    (lambda r: r["actions"]["smile"].append("frown"), "actions['frown']: form 'frown' is already a form of 'smile'"),
    (lambda r: r["actions"]["smile"].append("Grin "), "must be lower case"),
    (lambda r: r["region_words"].append(["(unclosed", "mouth"]), "does not compile"),
    (lambda r: r["region_words"].append(["ear", "ears"]), "region_words[18]: must be [pattern, declared region]"),
    (lambda r: r["family"].pop("lips"), "no family for region(s) lips"),
    (lambda r: r["meaning"].update({"mouth grin": [["smile", 1]]}), "'mouth grin' is not 'FAMILY ACTION'"),
    (lambda r: r["meaning"].update({"mouth smile": [["smile", 2]]}), "[axis, +1 or -1]"),
    (lambda r: r["implicit_region"].update(smile="ears"), "implicit_region: undeclared action or region at smile"),
    (lambda r: r["direction_words"].append(["north", ["north"]]), "direction_words[11]"),
    (lambda r: r["dynamic"].append("jump"), "dynamic: unknown name(s) jump"),
    (lambda r: r["part_of"].update(speak=["mouth", ["voice"]]), "part_of['speak']: unknown name(s) voice"),
    (lambda r: r["resting"].append("eyes stare"), "resting: 'eyes stare' is not 'FAMILY ACTION [DIRECTION ...]'"),
    (lambda r: r["resting"].append("gaze look north"), "resting: 'gaze look north'"),
    (lambda r: r["not_before"].update(goes=["on"]), "not_before['goes']: each entry must be the words that follow"),
    (lambda r: r.pop("demeanour"), "demeanour: missing"),
])
def test_a_bad_lexicon_stops_with_the_file_and_the_entry(tmp_path, spoil, says):
    raw = _raw()
    spoil(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(LexiconError) as err:
        load_lexicon(path)
    assert str(path) in str(err.value) and says in str(err.value)


def test_a_file_that_is_not_json_says_so(tmp_path):
    path = tmp_path / "lexicon.json"
    path.write_text('{"version": "grammar-v2",', encoding="utf-8")
    with pytest.raises(LexiconError, match="cannot read the lexicon"):
        load_lexicon(path)
    with pytest.raises(LexiconError, match="cannot read"):
        load_lexicon(tmp_path / "missing.json")
