"""What the admin pages show, computed from stored records and their current outcomes (no Flask here).

Kept apart from the views so the figures — campaign progress, 达标 rates by
field and county, the forerunner lists — are plain functions the tests call
directly, and the pages only render them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from core import Activity, Text

from .indicators import decimal

__all__ = [
    "AdoptionRow",
    "CampaignProgress",
    "ForerunnerRow",
    "RateRow",
    "ResultRow",
    "adoption_rows",
    "by_activity",
    "campaign_progress",
    "forerunners_per_year",
    "forerunner_lists",
    "indicator_rows",
    "rates",
    "result_rows",
]


class OutcomeLike(Protocol):
    """What the pages read of a stored outcome (``core.StoredOutcome``)."""

    @property
    def activity(self) -> Activity: ...
    @property
    def rule(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def details(self) -> Mapping[str, Any] | None: ...


Record = tuple[Activity, Sequence[OutcomeLike]]


def by_activity(outcomes: Iterable[OutcomeLike]) -> list[Record]:
    """Stored outcomes grouped by their activity, in the order given (oldest activity first)."""
    grouped: dict[Any, tuple[Activity, list[OutcomeLike]]] = {}
    for outcome in outcomes:
        key = outcome.activity.stored_id if outcome.activity.stored_id is not None else id(outcome.activity)
        grouped.setdefault(key, (outcome.activity, []))[1].append(outcome)
    return list(grouped.values())


def _outcome(outcomes: Sequence[OutcomeLike]) -> OutcomeLike | None:
    return outcomes[0] if outcomes else None


def _details(outcome: OutcomeLike | None) -> Mapping[str, Any]:
    return (outcome.details or {}) if outcome is not None else {}


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal, rounded half up (exact, no float)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class CampaignProgress:
    year: int
    field: str
    name: str
    target_enterprises: int
    target_products: int
    enterprises: set[str] = dc_field(default_factory=set)
    products: set[tuple[str, str]] = dc_field(default_factory=set)
    products_met: set[tuple[str, str]] = dc_field(default_factory=set)
    results: int = 0

    @property
    def enterprise_share(self) -> Decimal | None:
        return percent(len(self.enterprises), self.target_enterprises)

    @property
    def product_share(self) -> Decimal | None:
        return percent(len(self.products_met), self.target_products)


def campaign_progress(campaigns: Iterable[Mapping[str, Any]], records: Iterable[Record]) -> list[CampaignProgress]:
    """Each campaign with the enterprises enrolled (or reporting a result) and the products that met their benchmark.

    An enterprise counts once per campaign however many records it has; a
    product (enterprise, product name) counts as met when a current outcome of
    one of its results is 达标 (B1).
    """
    table: dict[tuple[Any, Any], CampaignProgress] = {(row["year"], row["field"]): CampaignProgress(row["year"], row["field"], row.get("name") or "",
                                                           row["target_enterprises"], row["target_products"])
             for row in campaigns}
    for activity, outcomes in records:
        key: tuple[Any, Any] = (activity.fields.get("campaign_year"), activity.fields.get("campaign_field"))
        progress = table.get(key)
        if progress is None:
            continue
        progress.enterprises.add(activity.credit_code)
        if activity.kind == "benchmark_result":
            product = (activity.credit_code, activity.fields["product"])
            progress.products.add(product)
            progress.results += 1
            found = _outcome(outcomes)
            if found is not None and found.rule == "B1":
                progress.products_met.add(product)
    return sorted(table.values(), key=lambda p: (-p.year, p.field))


@dataclass
class ResultRow:
    ref: str
    date: Any
    organisation: str
    credit_code: str
    county: Text
    product: str
    category: str
    standard: str
    campaign: str
    status: str | None
    rule: str | None
    failing: str
    test_report: str


def result_rows(records: Iterable[Record], county: Any) -> list[ResultRow]:
    rows = []
    for activity, outcomes in records:
        if activity.kind != "benchmark_result":
            continue
        f = activity.fields
        found = _outcome(outcomes)
        failing = ", ".join(item["name"] for item in (_details(found).get("failing") or []))
        campaign = f"{f['campaign_year']} {f['campaign_field']}" if f.get("campaign_year") else ""
        rows.append(ResultRow(activity.ref, activity.date, activity.organisation or "", activity.credit_code,
                              county(activity.credit_code), f["product"], f["product_category"],
                              f["benchmark_standard"], campaign, found.status if found else None,
                              found.rule if found else None, failing, f["test_report"]))
    return sorted(rows, key=lambda r: (r.organisation, r.product, r.date))


def indicator_rows(records: Iterable[Record]) -> list[dict[str, Any]]:
    """One row per indicator of each benchmark result, grouped by the record's id (the spreadsheet layout)."""
    rows = []
    for activity, _ in records:
        if activity.kind != "benchmark_result":
            continue
        f = activity.fields
        for indicator in f["indicators"]:
            rows.append({
                "id": activity.ref, "date": activity.date, "credit_code": activity.credit_code,
                "organisation": activity.organisation or "", "product": f["product"],
                "product_category": f["product_category"], "benchmark_standard": f["benchmark_standard"],
                "campaign_year": f.get("campaign_year"), "campaign_field": f.get("campaign_field"),
                "test_report": f["test_report"], "test_report_date": f["test_report_date"],
                **{f"indicator_{k}": indicator.get(k) for k in ("name", "unit", "direction", "core")},
                # Numbers as number cells, exact (Decimal, never float).
                **{f"indicator_{k}": decimal(indicator.get(k)) for k in ("value", "target", "minimum", "maximum")},
            })
    return rows


@dataclass
class RateRow:
    """达标 rate of one group: results whose current outcome is 达标, of those judged."""

    group: str
    judged: int = 0
    met: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(self.met, self.judged)


def rates(records: Iterable[Record], group: Any) -> list[RateRow]:
    """达标 rate per group (``group(activity)`` → its name): B1 of B1 + B0; not-covered results are left out."""
    table: dict[str, RateRow] = {}
    for activity, outcomes in records:
        found = _outcome(outcomes)
        if activity.kind != "benchmark_result" or found is None or found.rule not in ("B1", "B0"):
            continue
        name = group(activity)
        row = table.setdefault(name, RateRow(name))
        row.judged += 1
        row.met += found.rule == "B1"
    return sorted(table.values(), key=lambda r: r.group)


@dataclass
class ForerunnerRow:
    ref: str
    year: int
    category: str
    organisation: str
    credit_code: str
    standard: str
    evaluator: str
    measure: str
    place: int | None
    rule: str | None
    status: str | None
    reason: str


def forerunner_lists(records: Iterable[Record]) -> dict[tuple[int, str], list[ForerunnerRow]]:
    """(year, category) → its evaluations, the list first (by place), then the ranked, then those that do not qualify."""
    lists: dict[tuple[int, str], list[ForerunnerRow]] = defaultdict(list)
    for activity, outcomes in records:
        if activity.kind != "forerunner_evaluation":
            continue
        f = activity.fields
        found = _outcome(outcomes)
        measure = str(f["score"]) if f.get("score") is not None else (f"{f['tier']}" if f.get("tier") is not None else "")
        lists[(f["year"], f["product_category"])].append(ForerunnerRow(
            activity.ref, f["year"], f["product_category"], activity.organisation or "", activity.credit_code,
            f["enterprise_standard"], f["evaluator"], measure,
            _details(found).get("place"),
            found.rule if found else None, found.status if found else None,
            "; ".join(_details(found).get("reasons") or []),
        ))
    order = {"F1": 0, "F2": 1, "F3": 1, "F4": 2, "F0": 3}
    for rows in lists.values():
        rows.sort(key=lambda r: (order.get(r.rule or "", 4), r.place or 10**6, r.organisation))
    return dict(sorted(lists.items(), key=lambda item: (-item[0][0], item[0][1])))


def forerunners_per_year(lists: dict[tuple[int, str], list[ForerunnerRow]]) -> list[tuple[int, int, int, int]]:
    """(year, categories, evaluations, forerunners on the lists) per year, newest first."""
    years: dict[int, list[int]] = {}
    for (year, _), rows in lists.items():
        found = years.setdefault(year, [0, 0, 0])
        found[0] += 1
        found[1] += len(rows)
        found[2] += sum(1 for r in rows if r.rule == "F1")
    return [(year, *years[year]) for year in sorted(years, reverse=True)]  # type: ignore[misc]


@dataclass
class AdoptionRow:
    ref: str
    date: Any
    organisation: str
    chinese_standard: str
    level: str
    adopted_standard: str
    degree: str
    counted: bool | None
    title: str


def adoption_rows(records: Iterable[Record]) -> list[AdoptionRow]:
    rows = []
    for activity, outcomes in records:
        if activity.kind != "standard_adoption":
            continue
        f = activity.fields
        found = _outcome(outcomes)
        rows.append(AdoptionRow(activity.ref, activity.date, activity.organisation or "", f["chinese_standard"],
                                f.get("chinese_level", ""), f["adopted_standard"], f["degree"],
                                _details(found).get("counted"), f.get("title") or ""))
    return sorted(rows, key=lambda r: r.date, reverse=True)
