"""The reports' charts as SVG drawn on the server.

No JavaScript, no chart library, no CDN: each function returns an ``<svg>``
element as :class:`markupsafe.Markup`, with ``role="img"``, a ``<title>`` and
a ``<desc>`` that says in words what the chart shows (its text alternative),
and colours given as presentation attributes rather than ``style`` (a strict
Content-Security-Policy blocks inline styles). Numbers are printed on the
chart, so nothing is told by colour alone. The same markup goes into the PDF.

The functions draw what the report data holds; they compute no statistic.
"""

from __future__ import annotations

import itertools

from flask import g, has_app_context
from markupsafe import Markup, escape

from analysis.leader_report.values import signed

#: Chart numbers outside a request (a chart drawn in a script or a test).
_ids = itertools.count(1)


def _next_id() -> int:
    """The next chart number of this page: counted per request, so the same
    report renders the same markup every time (its PDF is then made once,
    see pdf.py), and ids stay unique within the page."""
    if not has_app_context():
        return next(_ids)
    if "chart_ids" not in g:
        g.chart_ids = itertools.count(1)
    return next(g.chart_ids)

#: Diverging colours for differences from the company, by size and sign:
#: below (oranges) and above (blues); strongest last. Text on each passes
#: WCAG AA contrast (dark text on the light ones, white on the dark ones).
BELOW = ("#fde0c5", "#f6a46c", "#b4490f")
ABOVE = ("#d6e6f5", "#7fb0dc", "#1f5f9e")
NEUTRAL = "#eeeeee"
INSUFFICIENT = "#ffffff"
BANDS = (("favourable", "#1f5f9e", "#ffffff"), ("neutral", "#d9d9d9", "#1a1a1a"),
         ("unfavourable", "#b4490f", "#ffffff"))
INK = "#1a1a1a"


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    n = _next_id()
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-labelledby="chart-t{n} chart-d{n}">'
            f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _text(x, y, text, *, anchor="start", size=13, fill=INK, weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" font-weight="{weight}" '
            f'text-anchor="{anchor}" font-family="sans-serif">{escape(text)}</text>')


def _wrap(text: str, width: int) -> list[str]:
    """Words on lines of at most ``width`` characters (a longer word keeps its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _balanced(text: str, width: int) -> list[str]:
    """As :func:`_wrap`, on as few lines, each as short as that allows
    (no last line of one word: "... currently rate / us.")."""
    lines = _wrap(text, width)
    while width > 1 and len(_wrap(text, width - 1)) == len(lines):
        width -= 1
        lines = _wrap(text, width)
    return lines


def diff_colour(diff: float) -> tuple[str, str]:
    """Fill and text colour of a heatmap cell: by sign, and by size (under 3,
    3 to 8, over 8 points from the company)."""
    size = abs(diff)
    if size < 3:
        return NEUTRAL, INK
    palette = BELOW if diff < 0 else ABOVE
    level = 0 if size < 5 else 1 if size <= 8 else 2
    return palette[level], ("#ffffff" if level == 2 else INK)


def heatmap(rows: list[tuple[str, list[float | None]]], columns: list[str], title: str) -> Markup:
    """Departments (rows) by measures (columns), each cell the difference from
    the company, ``None`` for a cell the privacy rules withhold."""
    left, top, cw, ch = 150, 58, 130, 34
    width, height = left + cw * len(columns) + 10, top + ch * len(rows) + 10
    body = []
    for j, c in enumerate(columns):
        lines = _wrap(c, 18)[-3:]
        for k, line in enumerate(lines):
            y = top - 8 - 15 * (len(lines) - 1 - k)
            body.append(_text(left + cw * j + cw / 2, y, line, anchor="middle", size=12, weight="bold"))
    words = []
    for i, (name, cells) in enumerate(rows):
        y = top + ch * i
        body.append(_text(left - 8, y + ch / 2 + 5, name, anchor="end"))
        said = []
        for j, value in enumerate(cells):
            x = left + cw * j
            if value is None:
                fill, ink, label = INSUFFICIENT, INK, "Insufficient"
                said.append(f"{columns[j]} insufficient")
            else:
                fill, ink = diff_colour(value)
                label = signed(value)
                said.append(f"{columns[j]} {label}")
            body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" '
                        f'fill="{fill}" stroke="#767676" stroke-width="1"/>')
            body.append(_text(x + cw / 2, y + ch / 2 + 5, label, anchor="middle", fill=ink,
                              size=12 if value is None else 14))
        words.append(f"{name}: " + ", ".join(said))
    desc = ("Difference from the company, in points of 100, per department. "
            + "; ".join(words) + ".")
    return _svg(width, height, title, desc, body)


def stacked_bar(shares: dict[str, float], score: float | None, title: str) -> Markup:
    """Favourable / neutral / unfavourable shares (0-100) as one bar, with
    the 0-100 score printed beside it."""
    width, bar, height = 420, 300, 30
    body, x = [], 0.0
    for name, fill, ink in BANDS:
        share = shares.get(name) or 0.0
        w = bar * share / 100
        if w > 0:
            body.append(f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="22" fill="{fill}"/>')
            if w >= 30:
                body.append(_text(x + w / 2, 20, f"{share:.0f}%", anchor="middle", size=12, fill=ink))
        x += w
    if score is not None:
        body.append(_text(bar + 12, 20, f"score {score:.0f}", size=13, weight="bold"))
    desc = ", ".join(f"{shares.get(n, 0):.0f}% {n}" for n, _, _ in BANDS) + (
        f"; score {score:.0f} of 100" if score is not None else "")
    return _svg(width, height, title, desc, body)


#: Characters of a bar's label per line (12 px text in the 260 px left
#: column), and the height each line adds to its row.
_BAR_LABEL_CHARS, _BAR_LINE = 40, 15


def bars(values: list[tuple[str, float]], title: str, *, unit: str = "", maximum: float | None = None) -> Markup:
    """Horizontal bars with their value printed (e.g. driver weights).

    A label is wrapped, never cut: a key driver is a whole statement ("I am
    often unsure which of our priorities matters most."), and a cut one can
    read as another statement.
    """
    left, bar, rh = 260, 260, 26
    top = max((v for _, v in values), default=1) if maximum is None else maximum
    wrapped = [_balanced(label, _BAR_LABEL_CHARS) for label, _ in values]
    width = left + bar + 70
    body = []
    y = 4
    for lines, (label, value) in zip(wrapped, values):
        row = rh + _BAR_LINE * (len(lines) - 1)
        middle = y + row / 2
        w = bar * (value / top if top else 0)
        first = middle + 4 - _BAR_LINE * (len(lines) - 1) / 2
        for n, line in enumerate(lines):
            body.append(_text(left - 8, first + _BAR_LINE * n, line, anchor="end", size=12))
        body.append(f'<rect x="{left}" y="{middle - 9:.1f}" width="{max(w, 1):.1f}" height="18" fill="#1f5f9e"/>')
        body.append(_text(left + w + 6, middle + 4, f"{value:.0f}{unit}", size=12))
        y += row
    desc = "; ".join(f"{label}: {value:.0f}{unit}" for label, value in values)
    return _svg(width, y + 4, title, desc, body)


def trend(points: list[tuple[str, dict[str, float]]], series: list[tuple[str, str]], title: str) -> Markup:
    """One line per measure across the pulses of a series (0-100 scale)."""
    left, top, w, h = 50, 20, 440, 180
    width, height = left + w + 40, top + h + 40 + 18 * len(series)
    n = len(points)
    step = w / max(n - 1, 1)
    colours = ("#1f5f9e", "#b4490f", "#2e7d32", "#6a1b9a", "#1a1a1a")
    body = [f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#767676"/>']
    for v in (0, 50, 100):
        y = top + h - h * v / 100
        body.append(_text(left - 6, y + 4, str(v), anchor="end", size=11))
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#d9d9d9"/>')
    for i, (period, _) in enumerate(points):
        body.append(_text(left + step * i, top + h + 18, period, anchor="middle", size=11))
    words = []
    for (key, label), colour in zip(series, itertools.cycle(colours)):
        coords = [(left + step * i, top + h - h * s[key] / 100, s[key])
                  for i, (_, s) in enumerate(points) if key in s]
        if not coords:
            continue
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, v in coords:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        x, y, v = coords[-1]
        legend_y = top + h + 40 + 18 * len(words)
        body.append(f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(left + 18, legend_y, f"{label}: {v:.0f} in {points[-1][0] if key in points[-1][1] else ''}",
                          size=12))
        words.append(f"{label}: " + ", ".join(f"{p} {s[key]:.0f}" for p, s in points if key in s))
    return _svg(width, height, title, "; ".join(words) or "No pulse of the series can be shown.", body)


def histogram(bins: list[dict], actual: float, title: str, *, unit: str = "") -> Markup:
    """How many people guessed in each range, with the true value marked."""
    left, top, w, h = 40, 24, 480, 150
    width, height = left + w + 20, top + h + 44
    low, high = bins[0]["low"], bins[-1]["high"]
    span = high - low or 1
    tallest = max(b["count"] for b in bins) or 1
    counts: list[str] = []
    body = [f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#767676"/>']
    for b in bins:
        x0 = left + w * (b["low"] - low) / span
        x1 = left + w * (b["high"] - low) / span
        bh = (h - 18) * b["count"] / tallest  # room above the tallest bar for its count
        if b["count"]:
            body.append(f'<rect x="{x0 + 1:.1f}" y="{top + h - bh:.1f}" width="{max(x1 - x0 - 2, 1):.1f}" '
                        f'height="{bh:.1f}" fill="#7fb0dc" stroke="#1f5f9e"/>')
            counts.append(_text((x0 + x1) / 2, top + h - bh - 4, str(b["count"]), anchor="middle", size=11))
    for v in (low, high):
        body.append(_text(left + w * (v - low) / span, top + h + 16, f"{v:.0f}{unit}", anchor="middle", size=11))
    xa = left + w * (min(max(actual, low), high) - low) / span
    body.append(f'<line x1="{xa:.1f}" y1="{top}" x2="{xa:.1f}" y2="{top + h}" stroke="{INK}" '
                f'stroke-width="2" stroke-dasharray="5 3"/>')
    # The counts over the true value's line, each on a white halo, so the
    # line never crosses out the number of the bar it runs through.
    body += [c.replace("<text ", '<text stroke="#ffffff" stroke-width="4" paint-order="stroke" ', 1)
             for c in counts]
    body.append(_text(xa, top + h + 32, f"true value {actual:.0f}{unit}", anchor="middle", size=12, weight="bold"))
    desc = (f"True value {actual:.0f}{unit}. Guesses: "
            + "; ".join(f"{b['low']:.0f} to {b['high']:.0f}: {b['count']}" for b in bins if b["count"]))
    return _svg(width, height, title, desc, body)
