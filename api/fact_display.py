"""How the web pages show published facts (reconciled by ``queries/facts.py``): numbers as published,
statuses in Chinese, what each fact describes, and the web gap list that explains a disagreeing one.

Used by the ``/facts`` page and by entity pages (the facts that describe an entity).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from api.routes.coverage import GAP_LISTS
from graph.engine import GraphEngine
from graph.views.style import FACT_STATUS_ZH, caption, fact_number
from queries.answers import step_rows
from queries.facts import reconcile

STATUSES: tuple[str, ...] = tuple(FACT_STATUS_ZH)
TOLERANCE_ZH = {"exact": "精确值", "about": "约数", "at_least": "不少于", "at_most": "不超过"}
API_GAPS = "/api/v1/coverage/gaps"
# The filters of the web gap page (/gaps) and the values it accepts: a link carries only these, so a
# fact's gap link, which comes with the data, can only ever lead to one of our own gap pages.
GAP_PAGE_FILTERS = {"target": r"compound|building|enterprise", "mode": r"organizational|work", "subdistrict": r"\d{9}",
                    "community": r"\d{12}"}


def web_gap_link(api_link: str | None, as_of: dt.date) -> str | None:
    """The web page of a fact's gap list, at the fact's date, or ``None`` when the link names none.

    >>> web_gap_link("/api/v1/coverage/gaps?target=building&min_floors=20", dt.date(2018, 12, 28))
    '/gaps?target=building&as_of=2018-12-28'
    >>> web_gap_link("/api/v1/coverage/gaps/unclaimed-projects", dt.date(2018, 12, 28))
    '/gaps/unclaimed-projects?as_of=2018-12-28'
    >>> web_gap_link("https://example.com/gaps", dt.date(2018, 12, 28)) is None
    True
    """
    if not api_link:
        return None
    url = urlsplit(api_link)
    if url.scheme or url.netloc or not url.path.startswith(API_GAPS):
        return None
    name = url.path[len(API_GAPS):].strip("/")
    if name and name not in GAP_LISTS:
        return None
    kept: dict[str, str] = {}
    if not name:  # the coverage gap list: keep the filters the web page has (min_floors is fixed there at 20)
        kept = {k: v for k, v in parse_qsl(url.query) if k in GAP_PAGE_FILTERS and re.fullmatch(GAP_PAGE_FILTERS[k], v)}
    kept["as_of"] = as_of.isoformat()
    return f"/gaps{'/' + name if name else ''}?{urlencode(kept)}"


def tolerance_text(row: dict[str, Any]) -> str:
    """``精确值``, ``约数(±10%)``, ``不少于`` …: how close the graph has to come to the published value."""
    text = TOLERANCE_ZH.get(row["tolerance"], row["tolerance"])
    return f"{text}(±{fact_number(row['margin'] * 100)}%)" if row["tolerance"] == "about" else text


def for_page(engine: GraphEngine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reconciled facts with what a page shows: texts, the described entities by name, the gap page."""
    described: dict[str, list[dict[str, Any]]] = {}
    # One neighborhood step from the facts gives the entities they describe, with their names.
    for link in step_rows(engine, [r["id"] for r in rows]):
        if link["type"] == "DESCRIBES":
            described.setdefault(link["source"], []).append({"id": link["target"], "caption": caption(link["node"])})
    return [{**r, "reported_text": fact_number(r["reported"]), "computed_text": fact_number(r["computed"]),
             "tolerance_text": tolerance_text(r), "status_zh": FACT_STATUS_ZH.get(r["status"], r["status"]),
             "gap_page": web_gap_link(r["gap"], r["as_of"]),
             "described": sorted(described.get(r["id"], []), key=lambda n: n["id"])} for r in rows]


def facts_about(engine: GraphEngine, entity_id: str) -> list[dict[str, Any]]:
    """The facts that describe ``entity_id`` (or the fact ``entity_id`` itself), ready for a page."""
    return for_page(engine, [r for r in reconcile(engine) if entity_id in r["about"] or r["id"] == entity_id])


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {s: sum(r["status"] == s for r in rows) for s in STATUSES}
