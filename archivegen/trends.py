"""Which entities are rising: the ``/trends/`` page.

Two comparisons, both anchored on the newest article in the archive (not on
today, so a rebuild of an old archive shows the same page): its calendar
month against the month before, and its year against the year before. An
entity's score is its mentions in the latest period minus those in the
previous one; entities with a rise are listed, largest first, each with a
small mentions-over-time chart (inline SVG, with a text alternative).

Mentions are counted per article as the linker counted them; an article
that lists an entity only in its front matter counts once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .charts import bar_chart
from .model import EntityStats, SiteModel, month_label

TOP = 10  # entities listed per comparison
MONTHS_SHOWN = 12  # bars in a month chart


@dataclass
class Rise:
    """One entity's change between two periods."""

    stats: EntityStats
    latest: int
    previous: int
    points: list[tuple[str, int]] = field(default_factory=list)  # chart bars, oldest first

    @property
    def change(self) -> int:
        return self.latest - self.previous

    @property
    def entity(self):
        return self.stats.entity


@dataclass
class Trends:
    month: tuple[int, int] | None  # (year, month) of the newest article
    year: int | None
    by_month: list[Rise]
    by_year: list[Rise]


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def compute(model: SiteModel, top: int = TOP) -> Trends:
    """The rising entities of ``model`` for its latest month and year."""
    if not model.stories:
        return Trends(None, None, [], [])
    newest = max(s.date for s in model.stories)
    ym = (newest.year, newest.month)
    prev_ym = _month_before(*ym)
    months = [ym]
    while len(months) < MONTHS_SHOWN:
        months.insert(0, _month_before(*months[0]))
    labels = [month_label(y, m, "%b %Y") for y, m in months]  # once, not once per entity
    first_year = min(s.date.year for s in model.stories)
    by_month: list[Rise] = []
    by_year: list[Rise] = []
    # each story's month, found once: an entity's appearances are most of the archive's
    # stories over again (25,000 appearances at 10,000 articles), read on every build
    month_of = {id(s): (s.date.year, s.date.month) for s in model.stories}
    for st in model.entities.values():
        per_month: Counter = Counter()
        per_year: Counter = Counter()
        for a in st.appearances:
            w = max(a.count, 1)  # front matter only: counts once (module doc)
            y_m = month_of[id(a.story)]
            per_month[y_m] += w
            per_year[y_m[0]] += w
        m_rise = Rise(st, per_month.get(ym, 0), per_month.get(prev_ym, 0),
                      [(label, per_month.get(y_m, 0)) for label, y_m in zip(labels, months)])
        if m_rise.change > 0:
            by_month.append(m_rise)
        years = range(max(first_year, ym[0] - 9), ym[0] + 1)
        y_rise = Rise(st, per_year.get(ym[0], 0), per_year.get(ym[0] - 1, 0),
                      [(str(y), per_year.get(y, 0)) for y in years])
        if y_rise.change > 0:
            by_year.append(y_rise)
    order = lambda r: (-r.change, -r.latest, r.entity.name.casefold())  # noqa: E731
    by_month.sort(key=order)
    by_year.sort(key=order)
    return Trends(ym, ym[0], by_month[:top], by_year[:top])


def chart(rise: Rise, period: str) -> str:
    """A small bar chart of ``rise``'s mentions per ``period`` (month or year)."""
    label = f"Mentions of {rise.entity.name} per {period}"
    return bar_chart(rise.points, label, width=240, height=56, end_labels=True)


def context(model: SiteModel) -> dict[str, Any]:
    """Template context of ``/trends/``: rows with their charts as Markup."""
    from markupsafe import Markup

    t = compute(model)

    def rows(rises: list[Rise], period: str) -> list[dict[str, Any]]:
        return [{"entity": r.entity, "stats": r.stats, "latest": r.latest, "previous": r.previous,
                 "change": r.change, "points": r.points, "chart": Markup(chart(r, period))} for r in rises]

    this_month = prev_month = ""
    if t.month:
        y, m = t.month
        py, pm = _month_before(y, m)
        this_month, prev_month = month_label(y, m), month_label(py, pm)
    return {
        "title": "Trends",
        "month_label": this_month,
        "prev_month_label": prev_month,
        "year": t.year,
        "month_rows": rows(t.by_month, "month"),
        "year_rows": rows(t.by_year, "year"),
    }
