"""The instrument loader: the shipped instrument loads, and each kind of mistake
an author can make is refused with the file, the item and the problem named."""

from pathlib import Path

import pytest

from analysis.instrument import (
    InstrumentError,
    load_instrument,
    parse_instrument_text,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "instruments" / "strategy-pulse.toml"

# A small valid instrument; each mistake below is one edit of it.
VALID = """
format = 1
[instrument]
id = "mini"
version = 2
title = "Mini pulse"

[[constructs]]
id = "strategy"
name = "Strategy"
owner = "ceo"
seed_terms = ["goal"]

[scales.agree5]
points = 5
anchors = ["SD", "D", "N", "A", "SA"]

[[items]]
id = "s1"
type = "likert"
construct = "strategy"
scale = "agree5"
text = "I know our goals."

[[items]]
id = "k1"
type = "recall"
construct = "strategy"
graded_against = "goals"
self_rating = "s1"
text = "Name our goals."

[[items]]
id = "k2"
type = "estimate"
construct = "strategy"
figure = "nps"
min = -100
max = 100
text = "Our NPS?"

[[items]]
id = "seg"
type = "segment"
segment = "tenure_band"
options = ["lt1", "1to2"]
text = "Tenure?"
"""


def write(tmp_path, text, name="pulse.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_instrument_loads_with_three_owned_constructs():
    instrument = load_instrument(DEFAULT)
    assert instrument.id == "strategy-pulse"
    assert {c.owner for c in instrument.constructs} == {"ceo", "clo", "cmo"}
    # A pulse, not a census: 12-18 questions besides the "about you" segment questions
    # (the time they take is pinned in test_duration.py).
    assert 12 <= len(instrument.answer_items) <= 18
    for construct in instrument.constructs:
        likert = instrument.likert_items(construct.id)
        assert len(likert) >= 3, construct.id
        assert any(i.reverse for i in likert), f"{construct.id} has no reverse-keyed item"
        assert instrument.knowledge_items(construct.id) or construct.id == "learning"
    assert instrument.enps_item is not None
    assert instrument.comment_items()


def test_valid_minimal_instrument(tmp_path):
    instrument = load_instrument(write(tmp_path, VALID))
    assert instrument.version == 2
    assert instrument.item("s1").scale.points == 5
    assert instrument.item("k1").required is False  # knowledge checks default to optional
    assert instrument.item("s1").required is True
    assert [o.value for o in instrument.item("seg").options] == ["lt1", "1to2"]
    assert instrument.owner_of("strategy") == "ceo"


MISTAKES = [
    pytest.param(
        ('text = "I know our goals."', 'txet = "I know our goals."'),
        "item 's1': unknown key 'txet'",
        id="unknown-key",
    ),
    pytest.param(
        ('text = "Name our goals."', 'text = "  "'),
        "item 'k1': missing text",
        id="missing-text",
    ),
    pytest.param(
        ('anchors = ["SD", "D", "N", "A", "SA"]', 'anchors = ["SD", "SA"]'),
        "bad scale: scale 'agree5' needs 'anchors', a list of 5 labels",
        id="anchors-do-not-match-points",
    ),
    pytest.param(
        ("points = 5", "points = 1"),
        "bad scale: scale 'agree5' 'points' must be a whole number from 2 to 11",
        id="too-few-points",
    ),
    pytest.param(
        ('scale = "agree5"\ntext', 'scale = "agree7"\ntext'),
        "item 's1': bad scale: unknown scale 'agree7'",
        id="unknown-scale",
    ),
    pytest.param(
        ('id = "k1"', 'id = "s1"'),
        "item 's1': duplicate item id",
        id="duplicate-id",
    ),
    pytest.param(
        ('owner = "ceo"', 'owner = "cfo"'),
        "unknown owner 'cfo' (expected one of ceo, clo, cmo)",
        id="unknown-owner",
    ),
    pytest.param(
        ('construct = "strategy"\nscale', 'construct = "strateg"\nscale'),
        "item 's1': unknown construct 'strateg' (known: strategy)",
        id="unknown-construct",
    ),
    pytest.param(
        ('type = "likert"', 'type = "slider"'),
        "item 's1': unknown type 'slider'",
        id="unknown-type",
    ),
    pytest.param(
        ('graded_against = "goals"', 'graded_against = "mission"'),
        "item 'k1': 'graded_against' must be one of goals, factors, brand_promise",
        id="unknown-strategy-part",
    ),
    pytest.param(
        ('self_rating = "s1"', 'self_rating = "k2"'),
        "item 'k1': 'self_rating' must name a likert item",
        id="self-rating-not-likert",
    ),
    pytest.param(
        ('figure = "nps"\n', ""),
        "item 'k2': an estimate needs 'figure'",
        id="estimate-without-figure",
    ),
    pytest.param(
        ("min = -100", "min = 200"),
        "item 'k2': 'min' (200) must be below 'max' (100)",
        id="min-above-max",
    ),
    pytest.param(
        ('segment = "tenure_band"', 'segment = "salary"'),
        "item 'seg': unknown segment 'salary'",
        id="unknown-segment",
    ),
    pytest.param(
        ('options = ["lt1", "1to2"]', 'options = ["lt1", "lt1"]'),
        "item 'seg': duplicate option value(s): lt1",
        id="duplicate-option",
    ),
    pytest.param(
        ("format = 1", "format = 9"),
        "'format' must be 1",
        id="unsupported-format",
    ),
    pytest.param(
        ("version = 2", "version = 0"),
        "'version' must be a whole number >= 1",
        id="bad-version",
    ),
    pytest.param(
        ('id = "k1"', 'id = "k 1"'),
        "item 'k 1': the id may hold only letters, digits",
        id="id-not-a-column-name",
    ),
    pytest.param(
        ("version = 2", "version = 2\nminutes = 0"),
        "[instrument] 'minutes' must be a number of minutes above 0 and at most 60, got 0",
        id="minutes-not-positive",
    ),
    pytest.param(
        ("points = 5", 'points = 5\nallow_na = "yes"'),
        "bad scale: scale 'agree5': 'allow_na' must be true or false, got 'yes'",
        id="allow-na-not-a-flag",
    ),
    pytest.param(
        ('title = "Mini pulse"', 'title = "Mini pulse'),
        "not valid TOML",
        id="toml-syntax",
    ),
]


@pytest.mark.parametrize(("edit", "message"), MISTAKES)
def test_malformed_instrument_names_file_item_and_problem(tmp_path, edit, message):
    old, new = edit
    assert old in VALID, "the edit must change the valid instrument"
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    text = str(caught.value)
    assert text.startswith(str(path)), text
    assert message in text


def test_toml_syntax_error_gives_the_line(tmp_path):
    path = write(tmp_path, VALID.replace('title = "Mini pulse"', 'title = "Mini pulse'))
    with pytest.raises(InstrumentError, match=r"line 6"):
        load_instrument(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InstrumentError, match="cannot read the file"):
        load_instrument(tmp_path / "nope.toml")


def test_no_items():
    text = VALID.split("[[items]]")[0]
    with pytest.raises(InstrumentError, match="the instrument has no items"):
        parse_instrument_text(text, source="x.toml")


def test_round_trip_through_data_keeps_the_instrument():
    """An export carries the parsed data; rebuilding from it gives the same model."""
    from analysis.instrument import parse_instrument

    instrument = load_instrument(DEFAULT)
    again = parse_instrument(instrument.data, source="pulse.json")
    assert again == instrument
