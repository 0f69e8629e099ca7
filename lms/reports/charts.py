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
