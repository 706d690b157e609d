"""Figures for a department's dashboard, computed from stored data."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from sqlalchemy import extract, func, select

from ..db import db
from ..declarations import DashboardFigure
from ..models import ActivityRecord, OutcomeRecord, ParameterVersionRecord
from ..registry import Registry
from .runcache import RunCache

__all__ = ["Dashboard", "dashboard"]


@dataclass
class Dashboard:
    plugins: list[str]
    activities_by_kind: dict[str, int] = field(default_factory=dict)
    outcomes: int = 0
    #: Year → total current amount (integer yuan) of the enabled plugins' outcomes.
    totals_by_year: dict[int, int] = field(default_factory=dict)
    figures: list[tuple[str, DashboardFigure, int]] = field(default_factory=list)
    recent_parameter_versions: list[ParameterVersionRecord] = field(default_factory=list)

    @property
    def activities(self) -> int:
        return sum(self.activities_by_kind.values())


# Computed figures, per database and set of plugins, until the next evaluation run.
_FIGURES = RunCache()


def dashboard(registry: Registry, plugins: Collection[str], recent: int = 8) -> Dashboard:
    """The dashboard of a department that has enabled ``plugins``.

    The aggregate figures scan every current outcome (a quarter of a second
    at 100,000 activities on SQLite), so they are kept until the next
    evaluation run; the recent parameter versions are read every time.
    """
    names = [p for p in registry.plugins if p in plugins]
    cached = _FIGURES.get(tuple(names), lambda: _compute(registry, names))
    result = replace(cached, activities_by_kind=dict(cached.activities_by_kind),
                     totals_by_year=dict(cached.totals_by_year), figures=list(cached.figures))
    if names:
        keys = [k for p in names for k in registry.plugins[p].parameters]
        result.recent_parameter_versions = list(db.session.scalars(
            select(ParameterVersionRecord).where(ParameterVersionRecord.key.in_(keys))
            .order_by(ParameterVersionRecord.recorded_at.desc(), ParameterVersionRecord.id.desc()).limit(recent)
        ))
    return result


def _compute(registry: Registry, names: list[str]) -> Dashboard:
    kinds = list(dict.fromkeys(k for p in names for k in registry.plugins[p].evaluates))
    result = Dashboard(plugins=names)
    if kinds:
        result.activities_by_kind = dict(db.session.execute(
            select(ActivityRecord.kind, func.count(ActivityRecord.id))
            .where(ActivityRecord.kind.in_(kinds)).group_by(ActivityRecord.kind)
        ).all())
    if names:
        current = (OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin.in_(names))
        result.outcomes = db.session.scalar(select(func.count(OutcomeRecord.id)).where(*current)) or 0
        year = extract("year", ActivityRecord.date)
        result.totals_by_year = {
            int(y): int(total or 0)
            for y, total in db.session.execute(
                select(year, func.sum(OutcomeRecord.amount))
                .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
                .where(*current).group_by(year).order_by(year)
            )
        }
        for plugin, figure in registry.figures(names):
            result.figures.append((plugin, figure, _figure_value(plugin, figure)))
    return result


def _figure_value(plugin: str, figure: DashboardFigure) -> int:
    if figure.measure == "count":
        return db.session.scalar(
            select(func.count(ActivityRecord.id)).where(ActivityRecord.kind.in_(figure.kinds))
        ) or 0
    return int(db.session.scalar(
        select(func.coalesce(func.sum(OutcomeRecord.amount), 0))
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin == plugin,
               ActivityRecord.kind.in_(figure.kinds))
    ) or 0)
