"""The instrument model: what a pulse asks, and how each answer is to be read.

Both the survey app (to build the form) and the analysis (to score the
answers) need the same definition, and the analysis must never import the
app, so the model lives here. An instrument is data (a TOML file under
``instruments/``, format in ``docs/instruments.md``); this module loads it and
refuses a malformed one *at load time*, naming the file, the item and the
problem, because a mistake found after employees have answered cannot be
undone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

FORMAT_VERSION = 1
OWNERS = ("ceo", "clo", "cmo")
ITEM_TYPES = ("likert", "recall", "estimate", "enps", "comment", "segment")
STRATEGY_PARTS = ("goals", "factors", "brand_promise")
SEGMENTS = ("department", "team", "tenure_band", "role_level")
ROLE_LEVELS = ("staff", "team_lead", "manager", "director", "executive")
DEFAULT_LEADERSHIP_LEVELS = ("manager", "director", "executive")
TENURE_BANDS = ("lt1", "1to2", "3to5", "6plus")

#: Longest free-text answer accepted when an item does not say otherwise.
DEFAULT_MAX_LENGTH = 2000
#: Scales outside this range are not Likert scales a pulse should use.
MIN_SCALE_POINTS, MAX_SCALE_POINTS = 2, 11

class InstrumentError(ValueError):
    """A malformed instrument, with where and what, so the author can fix it."""

    def __init__(self, source: str, problem: str, item_id: str | None = None):
        self.source = source
        self.item_id = item_id
        self.problem = problem
        where = f"{source}: item '{item_id}'" if item_id else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Scale:
    id: str
    points: int
    anchors: tuple[str, ...]
    allow_na: bool = False
    na_label: str = "Don't know"


@dataclass(frozen=True)
class Construct:
    id: str
    name: str
    owner: str
    description: str = ""
    seed_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: str
    construct: str | None = None
    required: bool = True
    help: str = ""
    scale: Scale | None = None
    reverse: bool = False
    graded_against: str | None = None
    figure: str | None = None
    min: float | None = None
    max: float | None = None
    tolerance: float | None = None
    unit: str = ""
    self_rating: str | None = None
    segment: str | None = None
    options: tuple[Option, ...] = ()
    max_length: int | None = None

    @property
    def is_knowledge_check(self) -> bool:
        return self.type in ("recall", "estimate")


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    title: str
    description: str
    minutes: float | None
    constructs: tuple[Construct, ...]
    items: tuple[Item, ...]
    #: Where it was read from: for messages, not part of the instrument's identity.
    source: str = field(default="<instrument>", compare=False)
    #: The parsed file, kept so the instrument can travel with an export.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.id} v{self.version} has no item '{item_id}'")

    def construct(self, construct_id: str) -> Construct:
        for construct in self.constructs:
            if construct.id == construct_id:
                return construct
        raise KeyError(f"{self.id} v{self.version} has no construct '{construct_id}'")

    def owner_of(self, construct_id: str) -> str:
        return self.construct(construct_id).owner

    def _items(self, types: Iterable[str], construct: str | None = None) -> tuple[Item, ...]:
        types = tuple(types)
        return tuple(
            i
            for i in self.items
            if i.type in types and (construct is None or i.construct == construct)
        )

    def likert_items(self, construct: str | None = None) -> tuple[Item, ...]:
        return self._items(("likert",), construct)

    def knowledge_items(self, construct: str | None = None) -> tuple[Item, ...]:
        return self._items(("recall", "estimate"), construct)

    def comment_items(self) -> tuple[Item, ...]:
        return self._items(("comment",))

    def segment_items(self) -> tuple[Item, ...]:
        return self._items(("segment",))

    @property
    def enps_item(self) -> Item | None:
        found = self._items(("enps",))
        return found[0] if found else None

    @property
    def answer_items(self) -> tuple[Item, ...]:
        """Items whose answers are stored per response (segment answers go to the
        response's segment columns instead)."""
        return tuple(i for i in self.items if i.type != "segment")


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate an instrument file; errors name the file.

    Examples
    --------
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> instrument.id, [c.owner for c in instrument.constructs]
    ('strategy-pulse', ['ceo', 'cmo', 'clo'])
    >>> [item.id for item in instrument.knowledge_items("strategy")]
    ['k_goals', 'k_factors']
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(str(path), f"cannot read the file ({exc.strerror})") from exc
    return parse_instrument_text(raw.decode("utf-8", errors="strict"), source=str(path))


def parse_instrument_text(text: str, source: str = "<instrument>") -> Instrument:
    """Parse TOML text; a syntax error is reported with its line and column.

    Examples
    --------
    >>> parse_instrument_text('format = 1\\n[instrument]\\nid = "x"\\nversion = 1\\ntitle = "X"\\n'
    ...                       '[[items]]\\nid = "q1"\\ntype = "likert"\\ntext = "Clear?"\\nreverse = "yes"\\n',
    ...                       source="x.toml")
    Traceback (most recent call last):
    ...
    analysis.instrument.InstrumentError: x.toml: item 'q1': a likert item needs a 'construct'
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(source, f"not valid TOML: {exc}") from exc
    return parse_instrument(data, source=source)


def parse_instrument(data: Mapping[str, Any], source: str = "<instrument>") -> Instrument:
    """Validate an already-parsed instrument (e.g. from a ``pulse.json``)."""
    # Imported here: the validator (analysis/instrument_file.py) and the time
    # estimate (analysis/duration.py) build on this module's classes, so
    # importing them at the top would be a cycle.
    from .duration import check_declared_minutes
    from .instrument_file import _Parser

    return check_declared_minutes(_Parser(source).parse(data))
