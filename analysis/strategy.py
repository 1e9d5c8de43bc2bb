"""The strategy statement a pulse is graded against.

It changes every quarter (the CEO's goals, the factors for excellence, the
CMO's brand promise and current customer figures), so it belongs to the pulse,
not to the instrument: the same questions are asked each quarter and graded
against that quarter's truth. Last quarter's goals travel with it so that the
analysis can recognise an out-of-date belief as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

PARTS = ("goals", "factors", "brand_promise")


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
