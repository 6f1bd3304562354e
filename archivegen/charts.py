"""Small inline SVG charts: no JavaScript, with a text alternative."""

from __future__ import annotations

from html import escape


def bar_chart(points: list[tuple[str, int]], label: str, width: int = 480, height: int = 120,
              *, end_labels: bool = False) -> str:
    """Bars for (label, value) points; ``role=img`` with a full-text description.

    A baseline runs under the bars so an empty period reads as zero, not as
    a gap. ``end_labels`` labels only the first and last bar: a sparkline in
    a table cell is drawn at a third of its width, where a label per bar
    would overlap.
    """
    if not points:
        return ""
    top = max(v for _, v in points) or 1
    n = len(points)
    gap = 4
    bar_w = max(2.0, (width - gap * (n + 1)) / n)
    chart_h = height - 22
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        "<desc>" + escape("; ".join(f"{k}: {v}" for k, v in points)) + "</desc>",
    ]
    parts.append(f'<rect class="baseline" x="0" y="{chart_h:.1f}" width="{width}" height="1"/>')
    for i, (k, v) in enumerate(points):
        h = 0 if v == 0 else max(2.0, chart_h * v / top)
        x = gap + i * (bar_w + gap)
        y = chart_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="1"><title>{escape(k)}: {v}</title></rect>')
        if end_labels:
            if i in (0, n - 1):
                anchor, tx = ("start", x) if i == 0 else ("end", x + bar_w)
                parts.append(f'<text x="{tx:.1f}" y="{height - 4}" text-anchor="{anchor}">{escape(k)}</text>')
        elif n <= 16 or i in (0, n - 1) or i % max(1, n // 8) == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(k)}</text>')
    parts.append("</svg>")
    return "".join(parts)
