"""Charts as SVG strings: the same drawing in the browser and in a PDF (WeasyPrint)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(labels: Sequence[str], values: Sequence[int], *, title: str = "",
              width: int = 560, height: int = 240, colour: str = "#0b5cab") -> str:
    """A vertical bar chart with a value over each bar; labels under the bars."""
    top, bottom, left, right = 28 if title else 12, 36, 36, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(4, -(-max([*values, 0]) // 4) * 4)  # a multiple of 4, so every grid line is whole
    step = plot_w / max(len(values), 1)
    bar = step * 0.62
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
             f'font-family="Noto Sans CJK SC, sans-serif" font-size="12">']
    if title:
        parts.append(f'<text x="{left}" y="16" font-size="13" fill="#1f2933">{escape(title)}</text>')
    for fraction in (0.25, 0.5, 0.75, 1.0):  # light grid lines with their values
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="#e6ebf1" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6b7a">'
                     f'{round(peak * fraction)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
                 f'stroke="#5f6b7a" stroke-width="1"/>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * step + (step - bar) / 2
        h = plot_h * value / peak
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="{colour}" rx="2"><title>{escape(label)}: {value}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                     f'fill="#1f2933">{value}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                     f'fill="#5f6b7a">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def scatter_chart(points: Sequence[tuple[str, float, float, bool]], *, title: str = "",
                  x_label: str = "", y_label: str = "", x_range: tuple[float, float] = (0, 100),
                  y_range: tuple[float, float] = (-100, 100), x_guides: Sequence[float] = (),
                  y_guides: Sequence[float] = (), width: int = 560, height: int = 300) -> str:
    """Points (label, x, y, flagged) on two linear axes, flagged points in red, with dashed guide
    lines (thresholds) and each point's label beside it."""
    top, bottom, left, right = 28 if title else 12, 40, 48, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    (x0, x1), (y0, y1) = x_range, y_range

    def px(x: float) -> float:
        return left + plot_w * (min(max(x, x0), x1) - x0) / (x1 - x0)

    def py(y: float) -> float:
        return top + plot_h * (1 - (min(max(y, y0), y1) - y0) / (y1 - y0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
             f'font-family="Noto Sans CJK SC, sans-serif" font-size="12">']
    if title:
        parts.append(f'<text x="{left}" y="16" font-size="13" fill="#1f2933">{escape(title)}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 f'stroke="#5f6b7a" stroke-width="1"/>')
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x, y = x0 + (x1 - x0) * fraction, y0 + (y1 - y0) * fraction
        parts.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'fill="#5f6b7a">{x:g}</text>')
        parts.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end" '
                     f'fill="#5f6b7a">{y:g}</text>')
    for x in x_guides:
        parts.append(f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{top + plot_h}" '
                     f'stroke="#c0392b" stroke-dasharray="4 3" stroke-width="1"/>')
    for y in y_guides:
        parts.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{left + plot_w}" y2="{py(y):.1f}" '
                     f'stroke="#c0392b" stroke-dasharray="4 3" stroke-width="1"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                 f'fill="#1f2933">{escape(x_label)}</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="#1f2933" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for label, x, y, flagged in points:
        colour = "#c0392b" if flagged else "#0b5cab"
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="5" fill="{colour}" fill-opacity="0.8">'
                     f'<title>{escape(label)}: {x:.1f}, {y:.1f}</title></circle>')
        parts.append(f'<text x="{px(x) + 7:.1f}" y="{py(y) - 6:.1f}" fill="#1f2933" font-size="11">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bar_chart(labels: Sequence[str], values: Sequence[int], *, title: str = "",
                         width: int = 560, row: int = 24, label_width: int = 220,
                         colour: str = "#0b5cab") -> str:
    """One horizontal bar per label (long labels such as paths fit), the value after each bar."""
    top = 28 if title else 8
    height = top + row * max(len(values), 1) + 8
    plot_w = width - label_width - 48
    peak = max([*values, 1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
             f'font-family="Noto Sans CJK SC, sans-serif" font-size="12">']
    if title:
        parts.append(f'<text x="0" y="16" font-size="13" fill="#1f2933">{escape(title)}</text>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * row
        shown = label if len(label) <= 18 else label[:17] + "…"
        w = plot_w * value / peak
        parts.append(f'<text x="{label_width - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" '
                     f'fill="#1f2933"><title>{escape(label)}</title>{escape(shown)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{colour}" rx="2"><title>{escape(label)}: {value}</title></rect>')
        parts.append(f'<text x="{label_width + w + 4:.1f}" y="{y + row * 0.65:.1f}" '
                     f'fill="#1f2933">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
