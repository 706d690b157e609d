"""``stdpolicy reviews list|approve|reject``: the review queue of held outcomes (待核实) on the command line.

The same queue and the same use case as the admin's review queue
(``core.store.reviews.review_queue``, ``core.services.reviews.decide``).
The command line has no users: ``--department`` names the department that
decides, and it must own the outcome's plugin.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click
from marshmallow import ValidationError

from ..app import get_registry
from ..regions import JIAXING_COUNTIES, region_name
from ..reviews import REVIEW_STATES, held_reason_label, review_label
from ..services.reviews import ReviewError, decide
from ..store import active_plugins, enabled_plugins
from ..store.reviews import QueueItem, review_queue
from ..text import Text, format_yuan_en
from ._common import ROW_ID, actor, department_option, print_table, resolve_department, with_database

__all__ = ["reviews_group"]


@click.group("reviews")
def reviews_group() -> None:
    """Held outcomes (待核实): list the review queue, approve or reject one with a note."""


def _choice(value: str | None, labels: dict[str, Any], hint: str) -> str | None:
    """A code given as itself or by its Chinese or English label."""
    if not value:
        return None
    wanted = value.strip()
    for code, label in labels.items():
        if wanted in (code, label.zh) or wanted.lower() == label.en.lower():
            return code
    known = ", ".join(f"{code} ({label.zh})" for code, label in labels.items())
    raise click.BadParameter(f"{value!r} is not one of: {known}", param_hint=hint)


def item_json(item: QueueItem, reasons: Mapping[str, Text]) -> dict[str, Any]:
    """One queue entry as JSON: the outcome, the organisation, what it would pay, why it is held, the review.

    :param reasons: the held reasons' labels (``Registry.held_reasons``).
    """
    region = item.organisation.region_code
    county = region_name(region)
    decision = item.decision
    return {
        "outcome_id": item.outcome.id,
        "activity_id": item.activity.id,
        "activity": item.activity.ref,
        "date": item.activity.date.isoformat(),
        "kind": item.activity.kind,
        "subject": item.activity.subject,
        "organisation": item.organisation.name,
        "credit_code": item.organisation.credit_code,
        "county": {"code": region, "zh": county.zh, "en": county.en},
        "plugin": item.outcome.plugin,
        "rule": item.outcome.rule,
        "held_amount": item.held_amount,
        "reasons": [{**reason, "label": held_reason_label(str(reason.get("code")), reasons).to_json()}
                    for reason in item.reasons],
        "status": item.state,
        "review": review_json(decision),
    }


def review_json(decision: Any) -> dict[str, Any] | None:
    """A decision as ``{decision, note, decided_by, decided_at}``; ``None`` for a pending outcome."""
    if decision is None:
        return None
    return {"decision": decision.decision, "note": decision.note, "decided_by": decision.decided_by,
            "decided_at": decision.decided_at.isoformat(timespec="seconds")}


@reviews_group.command("list")
@click.option("--reason", help="A held reason: rank_conflict, region, brand_series, revision_flag, prize_conflict, secretariat_conflict (or its Chinese label).")
@click.option("--county", help="A county of Jiaxing: its region code (330482) or name (平湖市, Pinghu).")
@click.option("--year", type=click.IntRange(1900, 2999), help="The year of the activity's date.")
@click.option("--status", type=click.Choice(list(REVIEW_STATES)), help="pending (待核实), approved (已核准), rejected (未核准).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@department_option
@with_database
def list_command(reason: str | None, county: str | None, year: int | None, status: str | None, fmt: str,
                 department: str | None) -> None:
    """The held outcomes, oldest activity first (with --department: the plugins that department has enabled)."""
    registry = get_registry()
    dept = resolve_department(department)
    plugins = enabled_plugins(dept) if dept is not None else set(active_plugins(registry))
    items = review_queue([p for p in registry.plugins if p in plugins],
                         reason=_choice(reason, registry.held_reasons, "--reason"),
                         county=_choice(county, JIAXING_COUNTIES, "--county"), year=year, state=status)
    if fmt == "json":
        click.echo(json.dumps([item_json(item, registry.held_reasons) for item in items], ensure_ascii=False, indent=2))
        return
    rows = []
    for item in items:
        decision = item.decision
        rows.append([
            item.outcome.id, item.activity.date.isoformat(), item.activity.ref, item.organisation.name or "",
            region_name(item.organisation.region_code).zh, item.activity.subject or "", item.outcome.rule,
            format_yuan_en(item.held_amount),
            "、".join(held_reason_label(str(r.get("code")), registry.held_reasons).zh for r in item.reasons),
            f"{review_label(item.state).zh} {item.state}",
            f"{decision.decided_by} {decision.decided_at:%Y-%m-%d}: {decision.note}" if decision else "",
        ])
    print_table(["outcome", "date", "activity", "organisation", "county", "subject", "rule", "held amount", "reasons",
                 "status", "decision"], rows)
    click.echo(f"{len(items)} held outcome(s), {format_yuan_en(sum(item.held_amount for item in items))} held")


def _decide(outcome_id: int, decision: str, note: str, department: str) -> None:
    dept = resolve_department(department)
    try:
        done = decide(outcome_id, decision, note, actor=actor(), department=dept)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"note": exc.messages}
        for field, found in messages.items():
            for message in found if isinstance(found, list) else [found]:
                click.echo(f"error: --{field}: {message} / {getattr(message, 'zh', message)}", err=True)
        sys.exit(2)
    except ReviewError as exc:
        click.echo(f"error: {exc.message} / {exc.message.zh}", err=True)
        sys.exit(2)
    row = done.decision
    word = "approved" if row.decision == "approved" else "rejected"
    replaced = (f"; replaces the decision of {done.replaced.decided_by} ({done.replaced.decision})"
                if done.replaced is not None else "")
    click.echo(f"outcome {outcome_id} {word} (decision {row.id}): {format_yuan_en(row.held_amount)} "
               f"{'payable' if word == 'approved' else 'not payable'}{replaced}")


_NOTE = click.option("--note", required=True, help="Why (required): what was checked.")
_DEPARTMENT = click.option("--department", "-d", "department", required=True, metavar="NAME",
                           help="The deciding department: the plugin's owner (code or name, e.g. market_regulation).")
_HELP_TAIL = """

    Exit status: 0 stored; 2 a bad argument or note, an unknown outcome, an
    outcome not held or replaced by a re-evaluation (`reviews list` shows
    the current one), or a department that does not own the plugin (nothing
    stored); 3 the database cannot be reached or is busy.
    """


@reviews_group.command("approve", help="Approve the held outcome OUTCOME_ID: its held amount becomes payable." + _HELP_TAIL)
@click.argument("outcome_id", type=ROW_ID)
@_NOTE
@_DEPARTMENT
@with_database
def approve_command(outcome_id: int, note: str, department: str) -> None:
    _decide(outcome_id, "approved", note, department)


@reviews_group.command("reject", help="Reject the held outcome OUTCOME_ID: its held amount is not paid." + _HELP_TAIL)
@click.argument("outcome_id", type=ROW_ID)
@_NOTE
@_DEPARTMENT
@with_database
def reject_command(outcome_id: int, note: str, department: str) -> None:
    _decide(outcome_id, "rejected", note, department)
