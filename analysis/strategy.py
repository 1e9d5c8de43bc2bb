"""The strategy statement a pulse is graded against.

It changes every quarter (the CEO's goals, the factors for excellence, the
CMO's brand promise and current customer figures), so it belongs to the pulse,
not to the instrument: the same questions are asked each quarter and graded
against that quarter's truth. Last quarter's goals travel with it so that the
analysis can recognise an out-of-date belief as such.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

PARTS = ("goals", "factors", "brand_promise")
#: The ``part`` values of the ``pulse_strategy`` table (docs/schema.md) and
#: the attribute each fills.
STORED_PARTS = {
    "goal": "goals",
    "factor": "factors",
    "brand_promise": "brand_promise",
    "previous_goal": "previous_goals",
}


class StrategyError(ValueError):
    """A strategy statement that cannot be graded against."""


@dataclass(frozen=True)
class CustomerFigure:
    key: str
    label: str
    value: float
    unit: str = ""
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "min": self.min,
            "max": self.max,
        }


@dataclass(frozen=True)
class Strategy:
    """This quarter's strategy statement, the knowledge checks' answer key.

    Examples
    --------
    >>> strategy = Strategy.from_dict({
    ...     "goals": ["Cut delivery time to 48 hours", "Open the Rotterdam hub"],
    ...     "brand_promise": "On time, every time",
    ...     "customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}},
    ... })
    >>> strategy.part("goals")
    ('Cut delivery time to 48 hours', 'Open the Rotterdam hub')
    >>> strategy.part("brand_promise"), strategy.part("factors")
    (('On time, every time',), ())
    >>> strategy.customer_figures["nps"].value
    32.0
    """

    goals: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    brand_promise: str = ""
    customer_figures: Mapping[str, CustomerFigure] = field(default_factory=dict)
    previous_goals: tuple[str, ...] = ()

    def part(self, name: str) -> tuple[str, ...]:
        """The statements a recall item is graded against, as a tuple."""
        if name == "goals":
            return self.goals
        if name == "factors":
            return self.factors
        if name == "brand_promise":
            return (self.brand_promise,) if self.brand_promise else ()
        raise KeyError(f"unknown strategy part {name!r} (expected one of {', '.join(PARTS)})")

    @classmethod
    def from_stored(cls, parts, figures) -> "Strategy":
        """The statement from a pulse's stored rows: ``(part, text)`` pairs of
        ``pulse_strategy`` in position order, and ``pulse_customer_figures``
        rows as mappings.

        One reading for the app's storage and the analysis loader, so both
        grade against the same statement (a promise stored in parts is
        joined by both alike).
        """
        values: dict[str, list[str]] = {attr: [] for attr in STORED_PARTS.values()}
        for part, text in parts:
            values[STORED_PARTS[part]].append(text)
        return cls(
            goals=tuple(values["goals"]),
            factors=tuple(values["factors"]),
            brand_promise=" ".join(values["brand_promise"]),
            customer_figures={
                row["key"]: CustomerFigure(
                    key=row["key"], label=row["label"], value=float(row["value"]),
                    unit=row["unit"] or "", min=row["min"], max=row["max"],
                )
                for row in figures
            },
            previous_goals=tuple(values["previous_goals"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "goals": list(self.goals),
            "factors": list(self.factors),
            "brand_promise": self.brand_promise,
            "customer_figures": {k: f.to_dict() for k, f in self.customer_figures.items()},
            "previous_goals": list(self.previous_goals),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "strategy") -> "Strategy":
        """Build from a mapping (``pulse.json``, a form); errors name the field."""
        if not isinstance(data, Mapping):
            raise StrategyError(f"{source}: must be an object, got {type(data).__name__}")
        unknown = set(data) - set(PARTS) - {"customer_figures", "previous_goals"}
        if unknown:
            raise StrategyError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")

        def texts(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise StrategyError(f"{source}: '{key}' must be a list of strings")
            return tuple(v.strip() for v in value if v.strip())

        promise = data.get("brand_promise") or ""
        if not isinstance(promise, str):
            raise StrategyError(f"{source}: 'brand_promise' must be a string")
        figures_raw = data.get("customer_figures") or {}
        if not isinstance(figures_raw, Mapping):
            raise StrategyError(f"{source}: 'customer_figures' must be an object keyed by figure")
        figures = {}
        for key, raw in figures_raw.items():
            where = f"{source}: customer figure '{key}'"
            if not isinstance(raw, Mapping):
                raise StrategyError(f"{where}: must be an object with at least 'value'")
            value = raw.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise StrategyError(f"{where}: 'value' must be a number, got {value!r}")
            low, high = raw.get("min"), raw.get("max")
            for bound, name in ((low, "min"), (high, "max")):
                if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
                    raise StrategyError(f"{where}: '{name}' must be a number or null")
            if low is not None and high is not None and not low <= value <= high:
                raise StrategyError(f"{where}: value {value:g} is outside [{low:g}, {high:g}]")
            figures[key] = CustomerFigure(
                key=key,
                label=str(raw.get("label") or key.upper()),
                value=float(value),
                unit=str(raw.get("unit") or ""),
                min=None if low is None else float(low),
                max=None if high is None else float(high),
            )
        return cls(
            goals=texts("goals"),
            factors=texts("factors"),
            brand_promise=promise.strip(),
            customer_figures=figures,
            previous_goals=texts("previous_goals"),
        )


# --------------------------------------------------------------------------
# The strategy file (docs/strategy.md)
# --------------------------------------------------------------------------

#: Version of the strategy file format this module reads.
STRATEGY_FORMAT = 1
#: A strategy statement names exactly this many factors for excellence.
FACTOR_COUNT = 3
#: Longest goal, factor or promise accepted: a statement people are asked to
#: recall is a sentence, not a paragraph.
MAX_STATEMENT_LENGTH = 300
#: At most this many goals (a quarter with more has no priorities).
MAX_GOALS = 10
#: Keys a figure table may hold.
FIGURE_KEYS = ("label", "value", "unit", "min", "max")

_FILE_KEYS = ("format", "goals", "factors", "brand_promise", "customer_figures", "previous_goals")
_FIGURE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
#: A figure table's header, ``[customer_figures.<key>]``: the key bare or quoted.
_FIGURE_HEADER_RE = re.compile(r'^\s*\[\s*customer_figures\s*\.\s*(?:"([^"]*)"|([A-Za-z0-9_-]+))\s*\]')


def split_figure_path(path: str, keys) -> tuple[str, str | None] | None:
    """The figure key and field (None: the key itself) a problem's path names.

    ``path`` is what follows ``customer_figures.`` in a
    :class:`StrategyProblem`'s field, ``keys`` the figure keys as written (a
    file's table headers, a form's rows). A key is whatever was typed, dots
    included ("." and "nps.value" are refused as keys, and their problems
    must still find them), so it is matched whole, never split on dots:
    first a key that is the whole path, then a key followed by ``.<field>``.
    The strategy file's line numbers and the admin form's rows both read
    paths this way, so the two cannot disagree.

    Example
    -------
    >>> split_figure_path("nps.value", ["nps"])
    ('nps', 'value')
    >>> split_figure_path("nps.value", ["nps", "nps.value"])
    ('nps.value', None)
    >>> split_figure_path(".", ["."]), split_figure_path("csat", ["nps"])
    (('.', None), None)
    """
    keys = list(keys)
    if path in keys:
        return path, None
    for key in keys:
        field = path[len(key) + 1:] if path.startswith(key + ".") else None
        if field in FIGURE_KEYS:
            return key, field
    return None


@dataclass(frozen=True)
class StrategyProblem:
    """One thing wrong in a strategy statement.

    ``field`` is the key as written in the file (``goals``,
    ``customer_figures.nps.value``); ``position`` the 1-based place in a list
    (the third goal is position 3), ``line`` the file line when it is known.

    Example
    -------
    >>> StrategyProblem("goals", "is empty", position=2, line=3).describe("q1.toml")
    'q1.toml, line 3: goals #2: is empty'
    """

    field: str
    problem: str
    position: int | None = None
    line: int | None = None

    def describe(self, source: str) -> str:
        where = source + (f", line {self.line}" if self.line else "")
        what = self.field + (f" #{self.position}" if self.position else "")
        return f"{where}: {what}: {self.problem}"


class StrategyFileError(StrategyError):
    """A strategy file (or form) with one or more problems, every one listed."""

    def __init__(self, source: str, problems: list[StrategyProblem]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.describe(source) for p in self.problems))


def _is_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
    )


class _StrategyChecker:
    """Collects every problem of one parsed statement instead of stopping at the first."""

    def __init__(self, text: str | None):
        self.lines = text.splitlines() if text is not None else []
        self.problems: list[StrategyProblem] = []

    def line_of(self, field_path: str) -> int | None:
        """Where ``field_path`` is written in the file, when it can be found.

        Top-level keys are found by ``key =``; a figure's key by the line of
        ``key =`` inside its ``[customer_figures.<figure>]`` table, or the
        table's header.
        """
        if not self.lines:
            return None
        top, _, rest = field_path.partition(".")
        if top != "customer_figures" or not rest:
            pattern = re.compile(rf"^\s*{re.escape(top)}\s*=")
            return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)
        headers = {}
        for n, line in enumerate(self.lines, 1):
            if m := _FIGURE_HEADER_RE.match(line):
                headers.setdefault(m.group(1) if m.group(1) is not None else m.group(2), n)
        found = split_figure_path(rest, headers)
        if found is None:
            return None
        start, field = headers[found[0]], found[1]
        if field is None:
            return start
        key = re.compile(rf"^\s*{re.escape(field)}\s*=")
        for n in range(start + 1, len(self.lines) + 1):
            line = self.lines[n - 1]
            if line.lstrip().startswith("["):
                break
            if key.match(line):
                return n
        return start

    def add(self, field_path: str, problem: str, position: int | None = None) -> None:
        self.problems.append(
            StrategyProblem(field_path, problem, position, self.line_of(field_path))
        )

    def statements(self, data: Mapping[str, Any], key: str, *, required: bool,
                   exactly: int | None = None, at_most: int | None = None) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            if required:
                expected = f"a list of {exactly}" if exactly else "a list of one or more"
                self.add(key, f"missing (expected {expected} statements)")
            return ()
        if not isinstance(value, list):
            self.add(key, f"expected a list of strings, got {type(value).__name__}")
            return ()
        found = []
        for position, entry in enumerate(value, 1):
            if not isinstance(entry, str):
                self.add(key, f"expected a string, got {entry!r}", position)
            elif not entry.strip():
                self.add(key, "is empty (expected a statement; remove the entry instead)", position)
            elif len(entry.strip()) > MAX_STATEMENT_LENGTH:
                self.add(key, f"is {len(entry.strip())} characters long (expected at most "
                              f"{MAX_STATEMENT_LENGTH})", position)
            else:
                found.append(entry.strip())
        if exactly is not None and len(value) != exactly:
            self.add(key, f"has {len(value)} entries (expected exactly {exactly})")
        elif required and not value:
            self.add(key, "is empty (expected at least one statement)")
        elif at_most is not None and len(value) > at_most:
            self.add(key, f"has {len(value)} entries (expected at most {at_most})")
        return tuple(found)

    def promise(self, data: Mapping[str, Any]) -> str:
        value = data.get("brand_promise")
        if value is None:
            self.add("brand_promise", "missing (expected one sentence)")
        elif not isinstance(value, str) or not value.strip():
            self.add("brand_promise", f"expected a non-empty string, got {value!r}")
        elif len(value.strip()) > MAX_STATEMENT_LENGTH:
            self.add("brand_promise", f"is {len(value.strip())} characters long (expected at "
                                      f"most {MAX_STATEMENT_LENGTH})")
        else:
            return value.strip()
        return ""

    def figure(self, key: Any, raw: Any) -> CustomerFigure | None:
        where = f"customer_figures.{key}"
        if not isinstance(key, str) or not _FIGURE_KEY_RE.match(key):
            self.add(where, "bad figure key (expected lower-case letters, digits and '_', "
                            "starting with a letter, as an instrument's 'figure' names it)")
            return None
        if not isinstance(raw, Mapping):
            self.add(where, f"expected a table with at least 'value', got {raw!r}")
            return None
        unknown = sorted(set(raw) - set(FIGURE_KEYS))
        if unknown:
            self.add(where, f"unknown key(s) {', '.join(unknown)} (allowed: "
                            f"{', '.join(FIGURE_KEYS)})")
        ok = True
        for name in ("label", "unit"):
            if name in raw and not isinstance(raw[name], str):
                self.add(f"{where}.{name}", f"expected a string, got {raw[name]!r}")
                ok = False
        value = raw.get("value")
        if value is None:
            self.add(f"{where}.value", "missing (expected the figure's current value, a number)")
            ok = False
        elif not _is_number(value):
            self.add(f"{where}.value", f"expected a number, got {value!r}")
            ok = False
        bounds = {}
        for name in ("min", "max"):
            bound = raw.get(name)
            if bound is not None and not _is_number(bound):
                self.add(f"{where}.{name}", f"expected a number, got {bound!r}")
                ok = False
            bounds[name] = bound
        low, high = bounds["min"], bounds["max"]
        if ok and (low is None) != (high is None):
            missing = "max" if high is None else "min"
            self.add(f"{where}.{missing}", "missing (a scale needs both min and max)")
            ok = False
        if ok and low is not None and low >= high:
            self.add(f"{where}.max", f"{high:g} is not above min {low:g} (expected min < max)")
            ok = False
        if ok and low is not None and not low <= value <= high:
            self.add(f"{where}.value", f"{value:g} is outside the scale [{low:g}, {high:g}]")
            ok = False
        if not ok:
            return None
        label = raw.get("label", "").strip() or key.upper()
        return CustomerFigure(
            key=key,
            label=label,
            value=float(value),
            unit=raw.get("unit", "").strip(),
            min=None if low is None else float(low),
            max=None if high is None else float(high),
        )


def parse_strategy(data: Mapping[str, Any], source: str = "<strategy>",
                   text: str | None = None) -> Strategy:
    """Validate a parsed strategy file (or a form's fields) and build the statement.

    Every problem is collected, then all are raised together as one
    :class:`StrategyFileError`, so the author fixes the file in one go.
    ``text`` (the file's text) lets each problem name its line.

    Example
    -------
    >>> s = parse_strategy({"format": 1, "goals": ["Ship the portal"],
    ...                     "factors": ["Care", "Speed", "Candour"],
    ...                     "brand_promise": "On time, every time"})
    >>> s.goals, len(s.factors)
    (('Ship the portal',), 3)
    >>> parse_strategy({"format": 1, "goals": [], "factors": ["Care"],
    ...                 "brand_promise": "x"}, source="q1.toml")
    Traceback (most recent call last):
    ...
    analysis.strategy.StrategyFileError: q1.toml: goals: is empty (expected at least one statement)
    q1.toml: factors: has 1 entries (expected exactly 3)
    """
    check = _StrategyChecker(text)
    if not isinstance(data, Mapping):
        raise StrategyFileError(source, [StrategyProblem("the file", "expected a table")])
    unknown = sorted(set(data) - set(_FILE_KEYS))
    for key in unknown:
        check.add(key, f"unknown key (allowed: {', '.join(_FILE_KEYS)})")
    if data.get("format") != STRATEGY_FORMAT:
        check.add("format", f"expected {STRATEGY_FORMAT} (the strategy file format this "
                            f"version reads), got {data.get('format')!r}")
    goals = check.statements(data, "goals", required=True, at_most=MAX_GOALS)
    factors = check.statements(data, "factors", required=True, exactly=FACTOR_COUNT)
    promise = check.promise(data)
    previous = check.statements(data, "previous_goals", required=False, at_most=MAX_GOALS)
    raw_figures = data.get("customer_figures", {})
    figures: dict[str, CustomerFigure] = {}
    if not isinstance(raw_figures, Mapping):
        check.add("customer_figures", "expected tables [customer_figures.<key>], got "
                                      f"{type(raw_figures).__name__}")
    else:
        for key, raw in raw_figures.items():
            found = check.figure(key, raw)
            if found is not None:
                figures[key] = found
    if check.problems:
        raise StrategyFileError(source, check.problems)
    return Strategy(goals=goals, factors=factors, brand_promise=promise,
                    customer_figures=figures, previous_goals=previous)


def parse_strategy_text(text: str, source: str = "<strategy>") -> Strategy:
    """Parse a strategy file's TOML text; a syntax error names its line.

    Example
    -------
    >>> parse_strategy_text('format = 1\\ngoals = "Grow\\n', source="q1.toml")
    Traceback (most recent call last):
    ...
    analysis.strategy.StrategyFileError: q1.toml, line 2: the file: not valid TOML: ...
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives the line as an attribute; earlier versions only
        # write it into the message ("... (at line 2, column 14)").
        line = getattr(exc, "lineno", None)
        if line is None:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        raise StrategyFileError(
            source, [StrategyProblem("the file", f"not valid TOML: {exc}", line=line)]
        ) from exc
    return parse_strategy(data, source=source, text=text)


def load_strategy(path: str | Path) -> Strategy:
    """Read and validate a strategy file (``docs/strategy.md``); errors name the file.

    Example
    -------
    >>> s = load_strategy("instruments/strategy-example.toml")
    >>> sorted(s.customer_figures), len(s.factors)
    (['csat', 'nps'], 3)
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StrategyFileError(
            str(path), [StrategyProblem("the file", f"cannot read it ({exc.strerror})")]
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrategyFileError(
            str(path), [StrategyProblem("the file", f"not UTF-8 text ({exc.reason} at byte "
                                                    f"{exc.start})")]
        ) from exc
    return parse_strategy_text(text, source=str(path))
