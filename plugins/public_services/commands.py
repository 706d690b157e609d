"""``stdpolicy public-services check``: the lists' checks from the command line.

The same checks as the admin's 三张清单核查 page (``checks``), on the lists
stored in the database and in force on a day: local standards lower than
national ones, items without a standard in force, standards due for review.
Exit status 0 when nothing is found, 1 when something is (so a scheduled job
can alert), 2 when the service list or the standards list has no version in
force on that day.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click
from flask.cli import with_appcontext

from core import stored_parameters, stored_references, today

from . import checks
from .schemas import SERVICE_LIST, STANDARDS_LIST

__all__ = ["register", "run_checks"]


def run_checks(on: date) -> dict[str, Any] | None:
    """The three checks on the lists in force on ``on`` (``None`` when a list has no version in force)."""
    references = stored_references()
    service = references.snapshot(SERVICE_LIST, on)
    standards = references.snapshot(STANDARDS_LIST, on)
    if service is None or standards is None:
        return None
    review = stored_parameters().value("public_services.review_years", on)
    years = int(review.value) if review is not None else 5
    return {
        "on": on.isoformat(),
        "service_list": service.read.to_json(),
        "standards_list": standards.read.to_json(),
        "review_years": years,
        "lower": checks.lower_than_national(service, standards),
        "gaps": checks.gaps(service, standards),
        "outdated": checks.outdated(service, standards, on, years),
    }


def _finding_json(finding: checks.Finding) -> dict[str, Any]:
    return {"item_code": finding.item_code, "item_name": finding.item_name, "standard": finding.standard,
            **dict(finding.details)}


def register(cli: click.Group) -> None:
    @cli.command("public-services-check")
    @click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day whose lists are checked (default: today).")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @with_appcontext
    def check(on: Any, fmt: str) -> None:
        """Check the basic public service lists (二(三)1): lower than national, gaps, due for review."""
        day = on.date() if on is not None else today()
        result = run_checks(day)
        if result is None:
            click.echo(f"无施行的服务清单或标准清单 / no service list or standards list in force on {day}", err=True)
            sys.exit(2)
        found = sum(len(result[name]) for name in ("lower", "gaps", "outdated"))
        if fmt == "json":
            click.echo(json.dumps({**result, **{name: [_finding_json(f) for f in result[name]]
                                                for name in ("lower", "gaps", "outdated")}},
                                  ensure_ascii=False, indent=2, default=str))
        else:
            click.echo(f"核查日期 / checked on {day}; 复审年限 / review age {result['review_years']}")
            for f in result["lower"]:
                d = f.details
                click.echo(f"地方标准低于国家标准 / lower than national: {f.item_code} {f.item_name} {f.standard} "
                           f"{d['indicator']} {d['local_value']} < {d['national_standard']} {d['national_value']}")
            for f in result["gaps"]:
                click.echo(f"缺口 / gap: {f.item_code} {f.item_name}")
            for f in result["outdated"]:
                click.echo(f"待复审 / due for review: {f.item_code} {f.item_name} {f.standard} "
                           f"(issued {f.details['issued']}, due {f.details['due']})")
            click.echo(f"{found} 项 / findings")
        sys.exit(1 if found else 0)
