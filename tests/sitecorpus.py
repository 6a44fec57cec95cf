"""A generated corpus of eight sites with known habits, and the figures its network must show.

- wire.example ("Wire News", byline "Wire Staff"): 24 dated stories, each with a "WATCH:" embed line;
- proxy-a.example: copies every story 6-9 h later, adds its disclaimer, drops the byline (credit `dropped`);
- proxy-b.example: copies 16 stories 12-18 h later, adds its disclaimer, puts its own byline
  (`replaced`), and on every other copy swaps the embed line for a "Click here" line;
- proxy-c.example: copies 12 stories 2-4 h later, credits the wire ("Articles by: Wire News", `kept`),
  adds its disclaimer on half of them and a reader-comment section on a third;
- aggregator.example: copies 20 stories 1-2 h later, cut to their first three paragraphs, under a
  new headline, crediting the wire ("Source: Wire News");
- blog.example: 8 posts of its own, a day after a wire story, each quoting one whole paragraph of it;
- outlet-a.example, outlet-b.example: 10 stories of their own each, copied by no one.

Words come from the seeds' vocabulary (tests/generated.Writer), so no two texts share a passage
but on purpose. `truth()` gives each edge's copies, lags and habits as generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from .generated import Writer

SEED = 1616
START = datetime(2024, 3, 1, 6, 0, tzinfo=timezone.utc)
WIRE = "wire.example"
SITES = [WIRE, "proxy-a.example", "proxy-b.example", "proxy-c.example", "aggregator.example", "blog.example",
         "outlet-a.example", "outlet-b.example"]
STORIES = 24


@dataclass
class Edge:
    """What the generator did on one edge: lags in hours, and per copy the habits it planted."""

    lags: list[float] = field(default_factory=list)
    habits: dict[str, list[bool]] = field(default_factory=dict)

    def add(self, lag: float, **planted: bool) -> None:
        self.lags.append(lag)
        for name, value in planted.items():
            self.habits.setdefault(name, []).append(value)


def _minutes(hours: float) -> float:
    """A lag in whole minutes, as dates in seconds state it exactly."""
    return round(hours * 60) / 60


def _when(hours: float) -> str:
    return (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(seed: int = SEED) -> tuple[list[dict[str, str]], dict[tuple[str, str], Edge]]:
    """The records (dicts with id, text, site, url, title, published, author) and the planted edges."""
    w = Writer(seed)
    rng = w.rng
    records: list[dict[str, str]] = []
    edges: dict[tuple[str, str], Edge] = {}

    def add(doc_id: str, site: str, paras: list[str], hours: float, title: str, author: str | None = None) -> None:
        rec = {"id": doc_id, "text": "\n\n".join(paras), "site": site, "url": f"https://{site}/{doc_id}",
               "title": title, "published": _when(hours)}
        if author:
            rec["author"] = author
        records.append(rec)

    disclaimer = {s: f"Disclaimer: The contents of this article are of sole responsibility of the author(s). "
                     f"{s.split('.')[0].title()} will not be responsible for any inaccurate or incorrect statement "
                     f"in this article." for s in SITES}
    for k in range(STORIES):
        body = list(w.story(6))
        watch = f"WATCH: {w.sentence()}"
        story = body[:3] + [watch] + body[3:]
        title = w.sentence()[:-1]
        t0 = 6.0 * k
        add(f"wire-{k:02d}", WIRE, story, t0, title, "Wire Staff")

        lag = _minutes(6 + 3 * rng.random())
        add(f"pa-{k:02d}", "proxy-a.example", story + [disclaimer["proxy-a.example"]], t0 + lag, title)
        edges.setdefault((WIRE, "proxy-a.example"), Edge()).add(
            lag, adds_boilerplate=True, drops_credit=True, replaces_credit=False, swaps_embeds=False,
            truncates=False, retitles=False, adds_credit=False, adds_comments=False)

        if k % 3 != 2:
            lag = _minutes(12 + 6 * rng.random())
            swap = k % 2 == 0
            text = [("Click here to watch the video." if p == watch and swap else p) for p in story]
            add(f"pb-{k:02d}", "proxy-b.example", text + [disclaimer["proxy-b.example"]], t0 + lag, title,
                "Proxy B Desk")
            edges.setdefault((WIRE, "proxy-b.example"), Edge()).add(
                lag, adds_boilerplate=True, drops_credit=False, replaces_credit=True, swaps_embeds=swap,
                truncates=False, retitles=False, adds_credit=False, adds_comments=False)

        if k % 2 == 0:
            lag = _minutes(2 + 2 * rng.random())
            with_disclaimer = k % 4 == 0
            with_comments = k % 6 == 0
            text = story + ["Articles by: Wire News"]
            if with_disclaimer:
                text.append(disclaimer["proxy-c.example"])
            if with_comments:
                text += ["Comments (2)", w.paragraph(2), w.paragraph(1)]
            add(f"pc-{k:02d}", "proxy-c.example", text, t0 + lag, title)
            edges.setdefault((WIRE, "proxy-c.example"), Edge()).add(
                lag, adds_boilerplate=with_disclaimer, drops_credit=False, replaces_credit=False, swaps_embeds=False,
                truncates=False, retitles=False, adds_credit=True, adds_comments=with_comments)

        if k < 20:
            lag = _minutes(1 + rng.random())
            add(f"ag-{k:02d}", "aggregator.example", story[:3] + ["Source: Wire News"], t0 + lag,
                f"Wire roundup: {title}")
            edges.setdefault((WIRE, "aggregator.example"), Edge()).add(
                lag, adds_boilerplate=False, drops_credit=False, replaces_credit=False, swaps_embeds=False,
                truncates=True, retitles=True, adds_credit=True, adds_comments=False)

        if k % 3 == 0:
            quoted = max(body, key=len)
            add(f"blog-{k:02d}", "blog.example", [*w.story(2), quoted, *w.story(2)], t0 + 24, w.sentence()[:-1],
                "The Blogger")
    for outlet in ("outlet-a.example", "outlet-b.example"):
        for k in range(10):
            add(f"{outlet[:8]}-{k:02d}", outlet, list(w.story(5)), 3.0 + 7 * k, w.sentence()[:-1], "Outlet Staff")
    rng.shuffle(records)
    return records, edges


def truth(edges: dict[tuple[str, str], Edge]) -> dict[tuple[str, str], dict[str, float]]:
    """Each edge's copies, median and p90 lag (hours, as numpy computes them) and habit shares."""
    out = {}
    for key, e in edges.items():
        lags = np.array(e.lags)
        out[key] = {"copies": len(lags), "median_lag_hours": float(np.median(lags)),
                    "p90_lag_hours": float(np.percentile(lags, 90)),
                    **{h: float(np.mean(v)) for h, v in e.habits.items()}}
    return out
