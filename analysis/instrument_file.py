"""The instrument file validator: every rule of the format, checked at load time.

``docs/instruments.md`` documents the format; this module enforces it. One
pass over the parsed TOML builds the model of :mod:`analysis.instrument`,
and every check raises an :class:`~analysis.instrument.InstrumentError`
naming the file, the item and the problem, because a mistake found after
employees have answered cannot be undone. Callers use
:func:`analysis.instrument.parse_instrument` (or ``load_instrument``), not
this module.
"""

from __future__ import annotations

from typing import Any, Mapping

from .instrument import (
    DEFAULT_MAX_LENGTH,
    FORMAT_VERSION,
    ITEM_TYPES,
    MAX_SCALE_POINTS,
    MIN_SCALE_POINTS,
    OWNERS,
    SEGMENTS,
    STRATEGY_PARTS,
    Construct,
    Instrument,
    InstrumentError,
    Item,
    Option,
    Scale,
)

# Which keys each part of the file may hold. Anything else is a typo that
# would otherwise be silently ignored (``revers = true``), so it is refused.
_TOP_KEYS = {"format", "instrument", "constructs", "scales", "items"}
_INSTRUMENT_KEYS = {"id", "version", "title", "description", "minutes"}
_CONSTRUCT_KEYS = {"id", "name", "owner", "description", "seed_terms"}
_SCALE_KEYS = {"points", "anchors", "allow_na", "na_label"}
_COMMON_ITEM_KEYS = {"id", "type", "text", "help", "required", "construct"}
_ITEM_KEYS = {
    "likert": _COMMON_ITEM_KEYS | {"scale", "reverse"},
    "recall": _COMMON_ITEM_KEYS | {"graded_against", "self_rating", "max_length"},
    "estimate": _COMMON_ITEM_KEYS
    | {"figure", "self_rating", "min", "max", "tolerance", "unit"},
    "enps": _COMMON_ITEM_KEYS,
    "comment": _COMMON_ITEM_KEYS | {"max_length"},
    "segment": _COMMON_ITEM_KEYS | {"segment", "options"},
}
# Knowledge checks and comments are optional by default: a blank answer is
# data ("I don't know"), and forcing one invites made-up text.
_REQUIRED_BY_DEFAULT = {
    "likert": True,
    "enps": True,
    "recall": False,
    "estimate": False,
    "comment": False,
    "segment": False,
}



class _Parser:
    """One pass over the parsed file; every check raises with the item it is about."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, problem: str, item_id: str | None = None):
        raise InstrumentError(self.source, problem, item_id)

    def check_keys(self, table: Mapping, allowed: set[str], where: str, item_id=None):
        if not isinstance(table, Mapping):
            self.fail(f"{where} must be a table", item_id)
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(
                f"unknown key {', '.join(repr(k) for k in unknown)} in {where} "
                f"(allowed: {', '.join(sorted(allowed))})",
                item_id,
            )

    def text(self, table, key, where, item_id=None, required=True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.fail(f"missing '{key}' in {where}", item_id)
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(f"'{key}' in {where} must be a non-empty string", item_id)
        return value.strip()

    def number(self, table, key, item_id) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"'{key}' must be a number, got {value!r}", item_id)
        return float(value)

    def flag(self, table, key, default, item_id=None, where=None) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            prefix = f"{where}: " if where else ""
            self.fail(f"{prefix}'{key}' must be true or false, got {value!r}", item_id)
        return value

    def parse(self, data: Mapping[str, Any]) -> Instrument:
        self.check_keys(data, _TOP_KEYS, "the file")
        fmt = data.get("format")
        if fmt != FORMAT_VERSION:
            self.fail(
                f"'format' must be {FORMAT_VERSION} (the instrument format this version "
                f"of Trinity Pulse reads), got {fmt!r}"
            )
        head = data.get("instrument")
        if head is None:
            self.fail("missing the [instrument] table")
        self.check_keys(head, _INSTRUMENT_KEYS, "[instrument]")
        instrument_id = self.text(head, "id", "[instrument]")
        version = head.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.fail(f"[instrument] 'version' must be a whole number >= 1, got {version!r}")
        minutes = head.get("minutes")
        if minutes is not None and (
            isinstance(minutes, bool)
            or not isinstance(minutes, (int, float))
            or not 0 < minutes <= 60
        ):
            self.fail(
                f"[instrument] 'minutes' must be a number of minutes above 0 and at most 60, "
                f"got {minutes!r}"
            )
        minutes = None if minutes is None else float(minutes)

        constructs = self.parse_constructs(data.get("constructs", []))
        scales = self.parse_scales(data.get("scales", {}))
        items = self.parse_items(data.get("items"), {c.id for c in constructs}, scales)
        return Instrument(
            id=instrument_id,
            version=version,
            title=self.text(head, "title", "[instrument]"),
            description=self.text(head, "description", "[instrument]", required=False),
            minutes=minutes,
            constructs=constructs,
            items=items,
            source=self.source,
            data=dict(data),
        )

    def parse_constructs(self, raw) -> tuple[Construct, ...]:
        if not isinstance(raw, list):
            self.fail("'constructs' must be an array of tables ([[constructs]])")
        seen: set[str] = set()
        constructs = []
        for number, table in enumerate(raw, 1):
            where = f"construct #{number}"
            self.check_keys(table, _CONSTRUCT_KEYS, where)
            cid = self.text(table, "id", where)
            where = f"construct '{cid}'"
            if cid in seen:
                self.fail(f"duplicate construct id '{cid}'")
            seen.add(cid)
            owner = table.get("owner")
            if owner not in OWNERS:
                self.fail(
                    f"{where}: unknown owner {owner!r} (expected one of {', '.join(OWNERS)})"
                )
            terms = table.get("seed_terms", [])
            if not isinstance(terms, list) or not all(
                isinstance(t, str) and t.strip() for t in terms
            ):
                self.fail(f"{where}: 'seed_terms' must be a list of non-empty strings")
            constructs.append(
                Construct(
                    id=cid,
                    name=self.text(table, "name", where),
                    owner=owner,
                    description=self.text(table, "description", where, required=False),
                    seed_terms=tuple(t.strip().lower() for t in terms),
                )
            )
        return tuple(constructs)

    def parse_scales(self, raw) -> dict[str, Scale]:
        if not isinstance(raw, Mapping):
            self.fail("'scales' must be a table of named scales ([scales.NAME])")
        scales = {}
        for name, table in raw.items():
            where = f"scale '{name}'"
            self.check_keys(table, _SCALE_KEYS, where)
            points = table.get("points")
            if (
                isinstance(points, bool)
                or not isinstance(points, int)
                or not MIN_SCALE_POINTS <= points <= MAX_SCALE_POINTS
            ):
                self.fail(
                    f"bad scale: {where} 'points' must be a whole number from "
                    f"{MIN_SCALE_POINTS} to {MAX_SCALE_POINTS}, got {points!r}"
                )
            anchors = table.get("anchors")
            if (
                not isinstance(anchors, list)
                or len(anchors) != points
                or not all(isinstance(a, str) and a.strip() for a in anchors)
            ):
                self.fail(
                    f"bad scale: {where} needs 'anchors', a list of {points} labels "
                    f"(one per point), got {anchors!r}"
                )
            allow_na = self.flag(table, "allow_na", False, where=f"bad scale: {where}")
            scales[name] = Scale(
                id=name,
                points=points,
                anchors=tuple(a.strip() for a in anchors),
                allow_na=allow_na,
                na_label=self.text(table, "na_label", where, required=False) or "Don't know",
            )
        return scales

    def parse_items(self, raw, construct_ids: set[str], scales: dict[str, Scale]):
        if not isinstance(raw, list) or not raw:
            self.fail("the instrument has no items (add [[items]] tables)")
        seen: set[str] = set()
        items = []
        for number, table in enumerate(raw, 1):
            if not isinstance(table, Mapping):
                self.fail(f"item #{number} must be a table")
            item_id = table.get("id")
            if not isinstance(item_id, str) or not item_id.strip():
                self.fail(f"item #{number} has no 'id'")
            if not item_id.replace("_", "").replace("-", "").isalnum():
                self.fail(
                    "the id may hold only letters, digits, '_' and '-' "
                    "(it becomes a column name in exports)",
                    item_id,
                )
            if item_id in seen:
                self.fail("duplicate item id", item_id)
            seen.add(item_id)
            items.append(self.parse_item(table, item_id, construct_ids, scales))
        by_id = {i.id: i for i in items}
        for item in items:
            if item.self_rating is None:
                continue
            rated = by_id.get(item.self_rating)
            if rated is None or rated.type != "likert":
                self.fail(
                    f"'self_rating' must name a likert item of this instrument, "
                    f"got {item.self_rating!r}",
                    item.id,
                )
        segments = [i.segment for i in items if i.type == "segment"]
        for segment in set(segments):
            if segments.count(segment) > 1:
                self.fail(f"more than one segment question asks for '{segment}'")
        if sum(i.type == "enps" for i in items) > 1:
            self.fail("more than one enps item (eNPS is a single question)")
        return tuple(items)

    def one_of(self, table, key, allowed, problem: str, item_id=None):
        """``table[key]``, which must be one of ``allowed``; ``problem`` is the
        message, with ``{value}`` and ``{allowed}`` filled in."""
        value = table.get(key)
        if value not in allowed:
            self.fail(problem.format(value=value, allowed=", ".join(allowed)), item_id)
        return value

    def parse_item(self, table, item_id, construct_ids, scales) -> Item:
        kind = self.one_of(
            table, "type", ITEM_TYPES, "unknown type {value!r} (expected one of {allowed})", item_id
        )
        self.check_keys(table, _ITEM_KEYS[kind], f"a {kind} item", item_id)
        text = table.get("text")
        if not isinstance(text, str) or not text.strip():
            self.fail("missing text (the question as employees will read it)", item_id)
        construct = table.get("construct")
        if construct is not None and construct not in construct_ids:
            known = ", ".join(sorted(construct_ids)) or "none are defined"
            self.fail(f"unknown construct {construct!r} (known: {known})", item_id)
        if kind in ("likert", "recall", "estimate") and construct is None:
            self.fail(f"a {kind} item needs a 'construct'", item_id)
        help_text = table.get("help", "")
        if not isinstance(help_text, str):
            self.fail("'help' must be a string", item_id)
        fields: dict[str, Any] = dict(
            id=item_id,
            type=kind,
            text=text.strip(),
            construct=construct,
            required=self.flag(table, "required", _REQUIRED_BY_DEFAULT[kind], item_id),
            help=help_text.strip(),
        )
        if kind == "likert":
            fields.update(self.likert_fields(table, item_id, scales))
        elif kind == "recall":
            part = self.one_of(
                table, "graded_against", STRATEGY_PARTS,
                "'graded_against' must be one of {allowed}, got {value!r}", item_id,
            )
            fields.update(graded_against=part, self_rating=table.get("self_rating"))
        elif kind == "estimate":
            fields.update(self.estimate_fields(table, item_id))
        elif kind == "segment":
            segment = self.one_of(
                table, "segment", SEGMENTS, "unknown segment {value!r} (expected one of {allowed})", item_id
            )
            fields.update(segment=segment, options=self.parse_options(table, item_id))
        if kind in ("recall", "comment"):
            max_length = table.get("max_length", DEFAULT_MAX_LENGTH)
            if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
                self.fail(f"'max_length' must be a positive whole number, got {max_length!r}", item_id)
            fields["max_length"] = max_length
        return Item(**fields)

    def likert_fields(self, table, item_id, scales: dict[str, Scale]) -> dict[str, Any]:
        scale_name = table.get("scale")
        if scale_name not in scales:
            known = ", ".join(sorted(scales)) or "none are defined"
            self.fail(f"bad scale: unknown scale {scale_name!r} (known: {known})", item_id)
        return dict(scale=scales[scale_name], reverse=self.flag(table, "reverse", False, item_id))

    def estimate_fields(self, table, item_id) -> dict[str, Any]:
        figure = table.get("figure")
        if not isinstance(figure, str) or not figure.strip():
            self.fail(
                "an estimate needs 'figure', the key of the customer figure it is "
                "graded against (e.g. \"nps\")",
                item_id,
            )
        low, high = self.number(table, "min", item_id), self.number(table, "max", item_id)
        if low is not None and high is not None and low >= high:
            self.fail(f"'min' ({low:g}) must be below 'max' ({high:g})", item_id)
        tolerance = self.number(table, "tolerance", item_id)
        if tolerance is not None and tolerance <= 0:
            self.fail(f"'tolerance' must be positive, got {tolerance:g}", item_id)
        unit = table.get("unit", "")
        if not isinstance(unit, str):
            self.fail("'unit' must be a string", item_id)
        return dict(
            figure=figure.strip(),
            min=low,
            max=high,
            tolerance=tolerance,
            unit=unit,
            self_rating=table.get("self_rating"),
        )

    def parse_options(self, table, item_id) -> tuple[Option, ...]:
        raw = table.get("options", [])
        if not isinstance(raw, list):
            self.fail("'options' must be a list", item_id)
        options = []
        for entry in raw:
            if isinstance(entry, str):
                value, label = entry, entry
            elif isinstance(entry, Mapping) and set(entry) <= {"value", "label"}:
                value, label = entry.get("value"), entry.get("label", entry.get("value"))
            else:
                self.fail(f"an option must be a string or {{value, label}}, got {entry!r}", item_id)
            if not isinstance(value, str) or not value.strip() or not isinstance(label, str):
                self.fail(f"option {entry!r} needs a non-empty string value", item_id)
            options.append(Option(value.strip(), label.strip()))
        values = [o.value for o in options]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            self.fail(f"duplicate option value(s): {', '.join(duplicates)}", item_id)
        return tuple(options)
