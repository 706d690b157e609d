"""The database layer (core/store): history, parameter versions, append-only tables, organisations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.app import get_registry
from core.db import db
from core.models import (
    ActivityRecord,
    AuditEntry,
    EvaluationRun,
    Organisation,
    OutcomeRecord,
    ParameterVersionRecord,
)
from core.registry import Registry
from core.store import (
    ParameterConflict,
    StoredHistory,
    UnknownDepartment,
    UnknownParameter,
    active_plugins,
    enabled_plugins,
    evaluation_context,
    find_department,
    fingerprint,
    import_records,
    latest_sequence,
    load_defaults,
    record_version,
    reevaluate,
    resolver,
    set_enabled,
)
from core.text import Text

KEY = "reward_tiers.lead.national"
CODE_A = "913304007429141869"   # 330400: Jiaxing, city level
CODE_B = "91330482MA2AH5T006"   # 330482: Pinghu
CODE_C = "91330421MA2D0L608J"   # 330421: Jiashan
SHANGHAI = "91310115MA1FL0AB0P"  # 310115: outside Jiaxing


def lead(ref: str | None, day: str, code: str, standard: str, rank: int = 1, **extra) -> dict:
    record = {"kind": "standard_drafting", "date": day, "credit_code": code, "standard_code": standard, "rank": rank, **extra}
    if ref is not None:
        record["id"] = ref
    return record


def secretariat(ref: str, day: str, code: str = CODE_B, committee: str = "SAC/TC 20/SC 3") -> dict:
    return {"id": ref, "kind": "tc_secretariat", "date": day, "credit_code": code,
            "committee_code": committee, "committee_level": "national"}


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    """An application context on the seeded database; yields the registry."""
    with app.app_context():
        yield get_registry()
        db.session.rollback()


def store(registry: Registry, records: list[dict], **kwargs):
    result = import_records(registry, records, source=kwargs.pop("source", "test"), actor="tester", **kwargs)
    assert result.ok, [(i.ref, i.errors) for i in result.report.invalid]
    db.session.commit()
    return result


def evaluate(registry: Registry, records: list[dict], department=None):
    context, plugins = evaluation_context(registry, department)
    report = registry.validate(records, context.parameters)
    assert report.invalid == []
    result = registry.evaluate(report.valid, context, plugins=plugins)
    return {a.ref: result.for_activity(a) for a in report.valid}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# ===================================================================================
# Duplicates against stored data
# ===================================================================================


def test_same_organisation_and_standard_as_a_stored_activity_gets_nothing(ctx: Registry) -> None:
    stored = store(ctx, [lead("ORIG-1", "2025-06-20", CODE_A, "GB/T 45123-2025")])
    [activity] = stored.stored
    assert activity.stored_id is not None

    outcomes = evaluate(ctx, [
        lead("AGAIN", "2025-07-01", CODE_A, "GB/T 45123—2025"),       # the same standard, reported again
        lead("OTHER-ORG", "2025-07-01", CODE_B, "GB/T 45123-2025", rank=2),   # another organisation: paid
    ])

    [again] = outcomes["AGAIN"]
    assert (again.rule, again.amount) == ("R2", 0)
    assert "ORIG-1" in again.explanation_en and "ORIG-1" in again.explanation_zh
    assert "¥300,000 was already paid with activity ORIG-1 (20 June 2025)" in again.explanation_en
    assert "已随活动 ORIG-1(2025年6月20日)发放30万元,本条不再重复奖励。" in again.explanation_zh
    assert again.details == {"reason": "duplicate", "paid_with": {
        "activity": "ORIG-1", "activity_id": activity.stored_id, "date": "2025-06-20", "amount": 300000}}
    assert again.dedup_key == f"standard:{CODE_A}:GB/T 45123-2025"
    [other] = outcomes["OTHER-ORG"]
    assert other.amount == 150000  # (at rank 1 too it would be held: a rank conflict, tests/test_register_readings.py)


def test_stored_history_counts_only_current_paid_outcomes(ctx: Registry) -> None:
    store(ctx, [secretariat("TC-2024", "2024-03-01"), secretariat("TC-2025", "2025-03-01")])
    key = f"committee:{CODE_B}:SAC/TC 20/SC 3"
    ids = dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())

    paid = StoredHistory().paid("reward_tiers", [key, "committee:nobody:SAC/TC 1"])
    assert list(paid) == [key]
    prior = paid[key]
    assert (prior.activity_ref, prior.activity_id, prior.date, prior.amount, prior.rule) == (
        "TC-2024", ids["TC-2024"], date(2024, 3, 1), 500000, "R8")
    # The second report got 0 and does not count as a payment.
    assert db.session.scalar(select(OutcomeRecord.amount).where(OutcomeRecord.activity_id == ids["TC-2025"])) == 0

    assert StoredHistory().paid("other_plugin", [key]) == {}
    assert StoredHistory(before=date(2024, 3, 1)).paid("reward_tiers", [key]) == {}
    assert StoredHistory(before=date(2024, 3, 2)).paid("reward_tiers", [key])[key].activity_ref == "TC-2024"
    assert StoredHistory(everything_reevaluated=True).paid("reward_tiers", [key]) == {}
    assert StoredHistory().paid("reward_tiers", []) == {}


def test_superseded_payment_no_longer_counts(ctx: Registry) -> None:
    store(ctx, [secretariat("TC-1", "2024-03-01")])
    key = f"committee:{CODE_B}:SAC/TC 20/SC 3"
    assert key in StoredHistory().paid("reward_tiers", [key])

    market = find_department("market_regulation")
    assert set_enabled(market, "reward_tiers", False, "tester")
    reevaluate(ctx, actor="tester")
    db.session.commit()

    assert StoredHistory().paid("reward_tiers", [key]) == {}


# ===================================================================================
# Parameter versions
# ===================================================================================


def test_record_version_based_on_a_stale_version_is_a_conflict(ctx: Registry) -> None:
    assert latest_sequence(KEY) == 1
    data = {"value": "400000", "effective_from": "2025-01-01", "reason": "amendment", "reference": "doc"}

    first = record_version(ctx, KEY, data, actor="alice", source="admin", based_on=1)
    db.session.commit()
    assert (first.sequence, first.value, first.recorded_by, first.source) == (2, 400000, "alice", "admin")
    assert first.id is not None

    audits = count(AuditEntry)
    with pytest.raises(ParameterConflict) as info:
        record_version(ctx, KEY, {**data, "value": "450000"}, actor="bob", source="admin", based_on=1)
    assert (info.value.key, info.value.expected, info.value.found) == (KEY, 1, 2)
    assert "version 2 was recorded after the version 1" in str(info.value)
    db.session.rollback()
    assert latest_sequence(KEY) == 2
    assert count(ParameterVersionRecord, ParameterVersionRecord.key == KEY) == 2
    assert count(AuditEntry) == audits

    # Based on the latest, it goes through.
    third = record_version(ctx, KEY, {**data, "value": "450000"}, actor="bob", source="admin", based_on=2)
    assert third.sequence == 3


def test_concurrent_save_is_refused_by_the_unique_sequence(ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two saves that both read sequence 1: the database refuses the second, as a conflict."""
    import core.store.parameters as store_parameters

    monkeypatch.setattr(store_parameters, "latest_sequence", lambda key: 0)  # a stale read
    audits = count(AuditEntry)
    db.session.add(AuditEntry(action="test.earlier", actor="bob", target="same transaction"))

    with pytest.raises(ParameterConflict) as info:
        record_version(ctx, KEY, {"value": "1", "effective_from": "2025-01-01", "reason": "r", "reference": "x"},
                       actor="bob", source="admin")
    assert (info.value.expected, info.value.found) == (0, 1)

    # Only the failed insert was rolled back: the session is usable and the
    # transaction's earlier work is kept.
    db.session.commit()
    assert count(ParameterVersionRecord, ParameterVersionRecord.key == KEY) == 1
    assert count(AuditEntry) == audits + 1
    assert count(AuditEntry, AuditEntry.action == "test.earlier") == 1
    assert count(AuditEntry, AuditEntry.action == "parameter.version") == 0


def test_record_version_unknown_key(ctx: Registry) -> None:
    with pytest.raises(UnknownParameter):
        record_version(ctx, "reward_tiers.nope", {"value": "1", "effective_from": "2025-01-01", "reason": "r",
                                                  "reference": "x"}, actor="a", source="cli")


def test_load_defaults_is_idempotent(ctx: Registry) -> None:
    before = count(ParameterVersionRecord)
    assert load_defaults(ctx, "again") == []
    db.session.commit()
    assert count(ParameterVersionRecord) == before == len(ctx.parameters)


def _insert_version(sequence: int, value: int, effective_from: date, recorded_at: datetime) -> int:
    row = ParameterVersionRecord(
        key=KEY, sequence=sequence, value=str(value), effective_from=effective_from, reason=f"v{sequence}",
        reference="doc", recorded_by="tester", recorded_at=recorded_at, source="admin",
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def test_resolver_believed_at_answers_what_we_believed_then(bare_app: Flask) -> None:
    with bare_app.app_context():
        registry = get_registry()
        v1 = _insert_version(1, 300000, date(2022, 8, 1), datetime(2022, 8, 1, 9, 0))
        v2 = _insert_version(2, 350000, date(2024, 1, 1), datetime(2024, 3, 1, 9, 0))   # retroactive, recorded in March
        v3 = _insert_version(3, 400000, date(2025, 1, 1), datetime(2025, 2, 1, 9, 0))
        v4 = _insert_version(4, 420000, date(2025, 1, 1), datetime(2025, 3, 1, 9, 0))   # a correction, same date
        db.session.commit()

        def value(believed_at, on):
            found = resolver(registry, believed_at=believed_at).value(KEY, on)
            return None if found is None else (found.value, found.version_id)

        # Today's knowledge.
        assert value(None, date(2023, 6, 1)) == (300000, v1)
        assert value(None, date(2024, 6, 1)) == (350000, v2)
        assert value(None, date(2025, 6, 1)) == (420000, v4)   # recorded later wins for the same date
        assert value(None, date(2022, 7, 31)) is None
        # What we believed on 2024-02-01: the retroactive change was not recorded yet.
        assert value(datetime(2024, 2, 1), date(2024, 6, 1)) == (300000, v1)
        assert value(datetime(2024, 2, 1), date(2025, 6, 1)) == (300000, v1)
        # On 2024-03-02 it was.
        assert value(datetime(2024, 3, 2), date(2024, 6, 1)) == (350000, v2)
        assert value(datetime(2024, 3, 2), date(2025, 6, 1)) == (350000, v2)
        # Between the two 2025 recordings.
        assert value(datetime(2025, 2, 15), date(2025, 6, 1)) == (400000, v3)
        # Before anything was recorded.
        assert value(datetime(2022, 7, 1), date(2023, 6, 1)) is None
        # The history is whole whatever the belief date.
        history = resolver(registry, believed_at=datetime(2022, 7, 1)).history(KEY)
        assert [(v.sequence, v.value, v.id) for v in history] == [
            (1, 300000, v1), (2, 350000, v2), (3, 400000, v3), (4, 420000, v4)]
        current = resolver(registry).current(KEY, date(2025, 6, 1))
        assert (current.reason, current.recorded_at) == ("v4", datetime(2025, 3, 1, 9, 0))


def test_stored_versions_of_an_uninstalled_plugin_are_kept_but_unused(ctx: Registry) -> None:
    db.session.add(ParameterVersionRecord(
        key="retired.amount", sequence=1, value="5", effective_from=date(2022, 8, 1), reason="r",
        reference="doc", recorded_by="tester", source="default",
    ))
    db.session.commit()

    params = resolver(ctx)
    with pytest.raises(KeyError):
        params.value("retired.amount", date(2024, 1, 1))
    assert count(ParameterVersionRecord, ParameterVersionRecord.key == "retired.amount") == 1


# ===================================================================================
# Append-only tables (database triggers)
# ===================================================================================


def _refused(statement) -> DBAPIError:
    """Run ``statement``; the database must refuse it. The transaction is rolled back."""
    with pytest.raises(DBAPIError) as info:
        db.session.execute(statement)
        db.session.flush()
    db.session.rollback()
    error = info.value
    # Both databases report an integrity error: SQLite's RAISE(ABORT, …) is a
    # constraint failure; the PostgreSQL triggers raise restrict_violation.
    assert isinstance(error, IntegrityError)
    if db.engine.dialect.name == "postgresql":
        assert error.orig.sqlstate == "23001"
    return error


def test_audit_log_rows_cannot_be_updated_or_deleted(ctx: Registry) -> None:
    entry_id = db.session.scalar(select(func.min(AuditEntry.id)))
    assert entry_id is not None
    actor = db.session.scalar(select(AuditEntry.actor).where(AuditEntry.id == entry_id))

    error = _refused(update(AuditEntry).where(AuditEntry.id == entry_id).values(actor="mallory"))
    assert "audit_log is append-only" in str(error.orig)
    error = _refused(delete(AuditEntry).where(AuditEntry.id == entry_id))
    assert "audit_log is append-only" in str(error.orig)

    assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.id == entry_id)) == actor
    # Adding is what the log is for.
    db.session.add(AuditEntry(action="test", actor="tester", target="x"))
    db.session.commit()


def test_parameter_versions_cannot_be_updated_or_deleted(ctx: Registry) -> None:
    version_id = db.session.scalar(select(ParameterVersionRecord.id).where(ParameterVersionRecord.key == KEY))

    error = _refused(update(ParameterVersionRecord).where(ParameterVersionRecord.id == version_id).values(value="1"))
    assert "parameter_versions is append-only" in str(error.orig)
    _refused(update(ParameterVersionRecord).where(ParameterVersionRecord.id == version_id)
             .values(effective_from=date(2020, 1, 1)))
    _refused(delete(ParameterVersionRecord))

    assert db.session.scalar(select(ParameterVersionRecord.value).where(ParameterVersionRecord.id == version_id)) == "300000"
    assert count(ParameterVersionRecord) == len(ctx.parameters)


def test_outcome_can_be_marked_superseded_once_and_nothing_else(ctx: Registry) -> None:
    store(ctx, [lead("S1", "2025-06-20", CODE_A, "GB/T 45123-2025")])
    outcome_id = db.session.scalar(select(OutcomeRecord.id))
    run_id = db.session.scalar(select(EvaluationRun.id))
    where = OutcomeRecord.id == outcome_id

    # Frozen columns, while current.
    for values in ({"amount": 1}, {"rule": "R1"}, {"explanation_en": "edited"}, {"plugin_version": "9"},
                   {"parameters": []}, {"status": "error"}):
        error = _refused(update(OutcomeRecord).where(where).values(**values))
        assert "an outcome can only be marked superseded, once" in str(error.orig)
    # Superseding and changing the amount in the same statement.
    _refused(update(OutcomeRecord).where(where).values(superseded_at=datetime(2026, 1, 1), amount=0))
    _refused(delete(OutcomeRecord).where(where))

    # Marking it superseded is allowed, once.
    db.session.execute(update(OutcomeRecord).where(where).values(superseded_at=datetime(2026, 1, 1),
                                                                 superseded_by_run_id=run_id))
    db.session.commit()
    _refused(update(OutcomeRecord).where(where).values(superseded_at=datetime(2026, 2, 2)))
    _refused(update(OutcomeRecord).where(where).values(superseded_by_run_id=None))
    error = _refused(delete(OutcomeRecord).where(where))
    assert "never deleted" in str(error.orig)

    row = db.session.get(OutcomeRecord, outcome_id)
    assert (row.amount, row.rule, row.superseded_at, row.superseded_by_run_id) == (
        300000, "R2", datetime(2026, 1, 1), run_id)


# ===================================================================================
# Organisations, imports, enablement
# ===================================================================================


def test_organisations_get_region_and_county_from_the_credit_code(ctx: Registry) -> None:
    store(ctx, [
        lead("A", "2025-06-20", CODE_A, "GB/T 45123-2025", organisation="嘉兴市某某制造有限公司"),
        lead("B", "2025-06-20", CODE_B, "GB/T 45123-2025", rank=2),
        lead("C", "2025-06-20", CODE_C, "GB/T 45123-2025", rank=3),
        lead("SH", "2025-06-20", SHANGHAI, "GB/T 45123-2025", rank=4),
    ])

    orgs = {o.credit_code: o for o in db.session.scalars(select(Organisation))}
    assert {code: o.region_code for code, o in orgs.items()} == {
        CODE_A: "330400", CODE_B: "330482", CODE_C: "330421", SHANGHAI: "310115"}
    assert orgs[CODE_A].county == Text("嘉兴市(市本级)", "Jiaxing (city level)")
    assert orgs[CODE_B].county == Text("平湖市", "Pinghu")
    assert orgs[CODE_C].county == Text("嘉善县", "Jiashan County")
    assert orgs[SHANGHAI].county == Text("上海市", "Shanghai")
    assert orgs[CODE_A].name == "嘉兴市某某制造有限公司"
    assert orgs[CODE_B].name is None

    # A later record names an organisation that had no name; a new name becomes
    # the current one (the latest imported), the former stays in the name history.
    result = store(ctx, [
        lead("B2", "2025-07-01", CODE_B, "GB/T 45124-2025", organisation="平湖光电新能源有限公司"),
        lead("A2", "2025-07-01", CODE_A, "GB/T 45124-2025", rank=2, organisation="另一个名字"),
    ])
    assert [(c.credit_code, c.before, c.after) for c in result.renamed] == [
        (CODE_A, "嘉兴市某某制造有限公司", "另一个名字")]
    db.session.expire_all()
    orgs = {o.credit_code: o for o in db.session.scalars(select(Organisation))}
    assert orgs[CODE_B].name == "平湖光电新能源有限公司"
    assert orgs[CODE_A].name == "另一个名字"
    assert count(Organisation) == 4


def test_import_is_all_or_nothing(ctx: Registry) -> None:
    result = import_records(ctx, [
        lead("OK", "2025-06-20", CODE_A, "GB/T 45123-2025"),
        lead("BAD", "2025-06-20", CODE_A, "GB/T 45123-2025", rank=0),
    ], source="t", actor="tester")

    assert not result.ok
    assert [(i.row, i.ref) for i in result.report.invalid] == [(2, "BAD")]
    assert result.stored == [] and result.run is None
    db.session.commit()
    assert count(ActivityRecord) == count(OutcomeRecord) == count(EvaluationRun) == 0


def test_fingerprint_identifies_the_record(ctx: Registry) -> None:
    report = ctx.validate([
        lead("X", "2025-06-20", CODE_A, "GB/T 45123-2025"),
        lead("X2", "2025-06-20", CODE_A, "GB/T 45123—2025"),
        lead(None, "2025-06-20", CODE_A, "GB/T 45123-2025"),
        lead(None, "2025-06-20", CODE_A, "gb/t 45123-2025", organisation="any name"),
        lead(None, "2025-06-21", CODE_A, "GB/T 45123-2025"),
    ])
    x, x2, anon, anon_named, later = (fingerprint(a) for a in report.valid)

    assert len(x) == 64 and int(x, 16) >= 0
    assert x != x2  # the source id is part of the record
    assert anon == anon_named  # row numbers and organisation names are not
    assert anon != later and anon != x
    assert fingerprint(ctx.validate([lead("X", "2025-06-20", CODE_A, "GB/T 45123-2025")]).valid[0]) == x


def test_imported_outcomes_use_the_plugins_some_department_enabled(ctx: Registry) -> None:
    market = find_department("Market Regulation Administration")
    assert market.code == "market_regulation"
    assert active_plugins(ctx) == ["reward_tiers"]
    assert enabled_plugins(market) == {"reward_tiers"}
    assert enabled_plugins(find_department("民政局")) == set()
    with pytest.raises(UnknownDepartment):
        find_department("nowhere")

    assert set_enabled(market, "reward_tiers", False, "tester") is True
    assert set_enabled(market, "reward_tiers", False, "tester") is False
    db.session.commit()
    assert active_plugins(ctx) == []

    result = store(ctx, [lead("S1", "2025-06-20", CODE_A, "GB/T 45123-2025")])
    assert result.run.plugins == []
    assert count(OutcomeRecord) == 0  # nobody evaluates reward_tiers any more

    context, plugins = evaluation_context(ctx, market)
    assert plugins == [] and context.department == "market_regulation"
    context, plugins = evaluation_context(ctx)
    assert plugins is None and context.department is None


def test_reevaluate_supersedes_outcomes_of_a_plugin_nobody_enables(ctx: Registry) -> None:
    store(ctx, [lead("S1", "2025-06-20", CODE_A, "GB/T 45123-2025"), secretariat("T1", "2025-03-01")])
    assert count(OutcomeRecord, OutcomeRecord.superseded_at.is_(None)) == 2

    set_enabled(find_department("market_regulation"), "reward_tiers", False, "tester")
    done = reevaluate(ctx, actor="tester")
    db.session.commit()

    assert (done.activities, done.changed, done.unchanged) == (2, 2, 0)
    assert (done.run.outcomes_superseded, done.run.outcomes_added, done.run.plugins) == (2, 0, [])
    assert count(OutcomeRecord, OutcomeRecord.superseded_at.is_(None)) == 0
    assert count(OutcomeRecord) == 2
    assert set(db.session.scalars(select(OutcomeRecord.superseded_by_run_id))) == {done.run.id}


def test_reevaluate_keeps_one_time_rewards_paid_before_since(ctx: Registry) -> None:
    store(ctx, [secretariat("TC-2024", "2024-03-01"), secretariat("TC-2025", "2025-03-01")])
    record_version(ctx, "reward_tiers.secretariat.national",
                   {"value": "600000", "effective_from": "2025-01-01", "reason": "r", "reference": "x"},
                   actor="tester", source="cli")

    done = reevaluate(ctx, actor="tester", since=date(2025, 1, 1))
    db.session.commit()

    # Only the 2025 report is recomputed: it still repeats the 2024 payment, whatever the
    # new amount, but it now names the version it read, so it is replaced.
    assert (done.activities, done.changed, done.run.outcomes_superseded, done.run.outcomes_added) == (1, 1, 1, 1)
    current = {
        ref: row for ref, row in db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord)
            .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None))
        ).all()
    }
    assert {ref: row.amount for ref, row in current.items()} == {"TC-2024": 500000, "TC-2025": 0}
    assert current["TC-2025"].details["reason"] == "duplicate"
    assert current["TC-2025"].details["paid_with"]["activity"] == "TC-2024"
    assert current["TC-2025"].parameters[0]["value"] == 600000
    assert current["TC-2024"].parameters[0]["value"] == 500000


def test_reevaluation_pays_the_activity_the_imports_paid(ctx: Registry) -> None:
    """An earlier-dated repeat imported later stays the repeat: re-evaluation changes nothing."""
    from core.store import import_records, reevaluate

    def record(ref: str, day: str) -> dict:
        return {"id": ref, "kind": "standard_drafting", "date": day, "credit_code": "913304007429141869",
                "standard_code": "GB/T 45123-2024" if day.startswith("2024") else "GB/T 45123-2025", "rank": 1}

    # the same standard reported twice, the later-dated report imported first
    later = {**record("later", "2025-02-10"), "standard_code": "GB/T 45123-2024"}
    earlier = record("earlier", "2024-12-20")
    assert import_records(ctx, [later], source="one", actor="tests").ok
    db.session.commit()
    assert import_records(ctx, [earlier], source="two", actor="tests").ok
    db.session.commit()

    def amounts() -> dict[str, int]:
        rows = db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.amount)
            .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None))
        )
        return dict(rows.all())

    assert amounts() == {"later": 300_000, "earlier": 0}
    done = reevaluate(ctx, actor="tests", since=None)
    db.session.commit()
    assert done.changed == 0
    assert amounts() == {"later": 300_000, "earlier": 0}
