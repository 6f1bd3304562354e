"""Small inline SVG charts: no JavaScript, with a text alternative."""

from __future__ import annotations

from html import escape


def bar_chart(points: list[tuple[str, int]], label: str, width: int = 480, height: int = 120) -> str:
    """Bars for (label, value) points; ``role=img`` with a full-text description."""
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
    for i, (k, v) in enumerate(points):
        h = 0 if v == 0 else max(2.0, chart_h * v / top)
        x = gap + i * (bar_w + gap)
        y = chart_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="1"><title>{escape(k)}: {v}</title></rect>')
        if n <= 16 or i in (0, n - 1) or i % max(1, n // 8) == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(k)}</text>')
    parts.append("</svg>")
    return "".join(parts)
