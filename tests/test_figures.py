"""Dashboard figures (core/store/figures.py): correct, and fresh after every evaluation run."""

from __future__ import annotations

import json
from pathlib import Path

from core.app import get_registry
from core.db import db
from core.store import import_records, record_version, reevaluate
from core.store.figures import dashboard

ROOT = Path(__file__).resolve().parent.parent


def _import(registry, name: str) -> None:
    records = json.loads((ROOT / name).read_text(encoding="utf-8"))
    assert import_records(registry, records, source=name, actor="tests").ok
    db.session.commit()


def test_figures_follow_imports_and_reevaluations(app):
    with app.app_context():
        registry = get_registry()
        empty = dashboard(registry, {"reward_tiers"})
        assert (empty.activities, empty.outcomes, empty.totals_by_year) == (0, 0, {})

        _import(registry, "core/data/demo_activities.json")
        first = dashboard(registry, {"reward_tiers"})
        assert first.activities == 26 and first.outcomes == 26
        assert first.totals_by_year == {2022: 800_000, 2023: 2_650_000, 2024: 3_200_000, 2025: 0}
        assert dict((f.key, v) for _, f, v in first.figures)["rewards"] == 6_650_000

        _import(registry, "docs/examples/activities.json")
        second = dashboard(registry, {"reward_tiers"})
        assert second.activities == 34
        assert second.totals_by_year[2025] == 1_550_000  # EX-001, 002, 003, 006, 008; EX-007 is dated 2024

        record_version(registry, "reward_tiers.lead.national",
                       {"value": 350_000, "effective_from": "2025-01-01", "reason": "r", "reference": "x"},
                       actor="tests", source="cli")
        reevaluate(registry, actor="tests", since=None)
        db.session.commit()
        third = dashboard(registry, {"reward_tiers"})
        assert third.totals_by_year[2025] == second.totals_by_year[2025] + 50_000
        assert [v.key for v in third.recent_parameter_versions][:1] == ["reward_tiers.lead.national"]


def test_a_department_without_plugins_sees_nothing(app):
    with app.app_context():
        registry = get_registry()
        _import(registry, "core/data/demo_activities.json")
        none = dashboard(registry, set())
        assert (none.plugins, none.activities, none.outcomes, none.figures) == ([], 0, 0, [])
