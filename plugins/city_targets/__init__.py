"""The city's targets to 2025 (一(二)) and the county assessment (三(三)).

Owned by the market regulation administration (market_regulation, which
hosts the leading group's office, 三(一)). It pays nothing: it counts the
register's achievements against the dated targets of 一(二) — standards led
or co-drafted (revisions included), “Zhejiang Made” standards, pilots
undertaken, national and provincial awards, talent enterprises, committee
secretariats — per year and county, and ranks the counties on weighted
indicators for the annual assessment of 三(三) (weights: a versioned
reference table, shipped only as a sample).

- ``counting``: what counts, once, and when (pure functions, the readings);
- ``figures``: the figures of a year from the stored register
  (``city_figures(year)`` is what a report calls);
- ``charts``: server-rendered SVG (pygal), the same picture in a page and a PDF;
- pages under /admin/p/city_targets/, commands ``stdpolicy targets`` and
  ``stdpolicy assessment``.

Its one rule tracks ``talent_enterprise`` designations (status tracking):
the other kinds it counts are evaluated by reward_tiers. See README
("city_targets") and docs/policy-readings.md ("city_targets").
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import click

from core import (
    TALENT_ENTERPRISE,
    AdminPage,
    ApiEndpoint,
    Batch,
    DashboardFigure,
    EvaluationContext,
    Outcome,
    OutcomeStatus,
    ParameterDeclaration,
    PluginDescription,
    ReferenceTable,
    Text,
    date_en,
    date_zh,
    hookimpl,
    load_parameter_file,
)

from .counting import CLAUSE
from .weights import weights_table

__all__ = ["__version__"]
__version__ = "1.0.0"

DOCUMENT = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
DOCUMENT_EN = ("the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal "
               "People's Government on Accelerating the Building of a Strong Standards City")
RULES = (("T1", Text("计入培育国际标准化人才企业目标(跟踪,不涉及资金)",
                     "counts towards the talent-enterprise target (tracking, no money)")),)


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("发展目标与县域考核", "2025 targets and county assessment"),
        description=Text(
            "按第一部分第(二)项统计到2025年各项发展目标的完成情况(按年度、按县(市、区)),"
            "按第三部分第(三)项计算县(市、区)标准化工作年度考核指标、加权得分和排名。",
            "Progress to the 2025 targets of 一(二) by year and county, and the counties' annual "
            "standardisation assessment of 三(三): indicators, weighted score, ranking.",
        ),
        clauses=(CLAUSE, "三(三)"),
        rules=RULES,
        reads=(TALENT_ENTERPRISE,),
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    return [weights_table()]


@hookimpl
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    return [DashboardFigure("talent_enterprises", Text("国际标准化人才企业", "Talent enterprises"),
                            (TALENT_ENTERPRISE,), "count")]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    from .admin import admin_pages  # Flask only here

    return admin_pages()


@hookimpl
def stdpolicy_register_api_endpoints() -> list[ApiEndpoint]:
    from .api import api_endpoints

    return api_endpoints()


@hookimpl
def stdpolicy_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)






@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    # 一(二) ——加快推进国际化开放标准实践区建设。……培育国际标准化人才企业5家以上。
    # A designation counts towards the target (once per enterprise, counting.py); no money is attached.
    out = []
    for activity in batch.of_kind(TALENT_ENTERPRISE):
        designation = activity.fields["designation"]
        out.append(Outcome.make(
            activity, rule="T1", clause=CLAUSE, status=OutcomeStatus.TRACKING,
            subject=Text(f"国际标准化人才企业认定“{designation}”",
                         f"designation as an international-standardisation talent enterprise ({designation})"),
            explanation=Text(
                f"根据{DOCUMENT}第一部分第(二)项“培育国际标准化人才企业5家以上”,该企业于{date_zh(activity.date)}"
                f"被认定为“{designation}”,计入该项发展目标的统计(同一企业只计一次),不涉及奖励资金。",
                f"Under Part I, item (2) of {DOCUMENT_EN} (“at least 5 enterprises cultivating "
                f"international-standardisation talent”), the enterprise was designated “{designation}” on "
                f"{date_en(activity.date)}: it counts towards that target (each enterprise once); no money is attached.",
            ),
        ))
    return out


@hookimpl
def stdpolicy_demo_records() -> list[dict[str, Any]]:
    # Sample organisations (示例): talent enterprises, a provincial award, a pilot approved and later accepted.
    data = resources.files(__name__).joinpath("data/demo_records.json").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = json.loads(data)
    return records
