"""Charts drawn on the server as SVG (no script, no CDN): they print, scale on a tablet and
need nothing but the page. Two shapes cover the dashboards: columns over a sequence
(days, hours of the day) and horizontal bars for a ranking (products, clerks, tenders).

Values are ``Decimal`` yuan; labels are escaped here, so the result is safe ``Markup``.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from markupsafe import Markup, escape

from ..money import plain_number

BAR = "#1f6feb"
NEGATIVE = "#cf222e"
GRID = "#d0d7de"
INK = "#57606a"


def nice_step(top: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2 or 5 × 10ⁿ) so that ``ticks`` steps reach ``top``."""
    if top <= 0:
        return Decimal(1)
    raw = top / ticks
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal("1")
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def short_money(value: Decimal) -> str:
    """Axis labels: 12000 → 1.2万, 3500000 → 350万; below ten thousand as is."""
    if abs(value) >= 10000:
        text = f"{value / 10000:.1f}".rstrip("0").rstrip(".")
        return f"{text}万"
    return plain_number(value.quantize(Decimal(1)))


def columns(points: list[tuple[str, Decimal]], *, title: str, width: int = 640, height: int = 240,
            every: int = 1) -> Markup:
    """Vertical columns, one per point, with a y axis in round steps; ``every`` thins the x labels."""
    left, right, top, bottom = 48, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points] or [Decimal(0)]
    high = max(max(values), Decimal(0))
    low = min(min(values), Decimal(0))
    step = nice_step(max(high - low, Decimal(1)))
    y_top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    y_low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    span = (y_top - y_low) or Decimal(1)

    def y(value: Decimal) -> float:
        return top + float((y_top - value) / span) * plot_h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    tick = y_low
    while tick <= y_top:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{INK}">{escape(short_money(tick))}</text>')
        tick += step
    n = max(len(points), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1)
    zero = y(Decimal(0))
    for i, (label, value) in enumerate(points):
        x = left + i * slot + (slot - bar_w) / 2
        y_value = y(value)
        y0, h = (y_value, zero - y_value) if value >= 0 else (zero, y_value - zero)
        parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" height="{max(h, 0):.1f}" '
                     f'fill="{BAR if value >= 0 else NEGATIVE}"><title>{escape(label)}: '
                     f'{escape(plain_number(value))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" '
                         f'fill="{INK}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def percent(value: Decimal) -> str:
    return f"{plain_number(value)}%"


def text_px(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` px: a Chinese character is a full em, Latin
    letters and digits a little over half of one."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def fit(text: str, room: float, size: float) -> str:
    """``text`` as it fits in ``room`` px: whole, or cut with "…" where it no longer fits."""
    if text_px(text, size) <= room:
        return text
    while text and text_px(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def bars(rows: list[tuple[str, Decimal]], *, title: str, width: int = 480, row_height: int = 26,
         shown_as=short_money, mark: Decimal | None = None) -> Markup:
    """Horizontal bars for a ranking, the label inside the row and the value at the bar's end
    (``shown_as`` formats it); ``mark`` draws a dashed line at a threshold (e.g. 100 %)."""
    # the labels' column is as wide as the longest label needs (names with their model), up to 45 %
    longest = max((text_px(label, 12) for label, _ in rows), default=0)
    label_w, right = int(min(max(longest + 10, 80), width * 0.45)), 90
    height = max(len(rows), 1) * row_height + 6
    high = max([v for _, v in rows] + [mark or Decimal(0), Decimal(0)]) or Decimal(1)
    plot_w = width - label_w - right
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    if mark is not None:  # drawn first: bars and their values go over it
        x = label_w + float(mark / high) * plot_w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="{NEGATIVE}" '
                     f'stroke-dasharray="4 3" stroke-width="1.5"><title>{escape(shown_as(mark))}</title></line>')
    for i, (label, value) in enumerate(rows):
        y = 3 + i * row_height
        w = max(float(max(value, Decimal(0)) / high) * plot_w, 1 if value else 0)
        shown = fit(label, label_w - 8, 12)
        parts.append(f'<text x="{label_w - 6}" y="{y + row_height * 0.65:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#1f2328">{escape(shown)}<title>{escape(label)}</title></text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_height - 8}" '
                     f'fill="{BAR if value >= 0 else NEGATIVE}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + row_height * 0.65:.1f}" font-size="12" '
                     f'fill="{INK}">{escape(shown_as(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
