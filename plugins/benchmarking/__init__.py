"""International benchmarking (对标达标), adoption of international standards, enterprise-standard forerunners.

二(六)1 持续开展重点领域对标达标行动,合理采用国际标准和国外先进标准; 二(七)1 深入推进企业标准
“领跑者”制度,推动第三方评价机构发布领跑榜单; 二(七)2 完善对标达标工作机制,瞄准国际先进标准.

Four kinds of its own (``schemas``), rules that give statuses rather than
money (``rules``), two versioned reference tables (``refdata``: campaigns
with their targets, forerunner numbers per category), one dated parameter
(the city-wide number of forerunners), admin pages (``admin``) and counts on
the dashboard. Owned by 市场监督管理局 (``core/data/departments.yaml``).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from core import (
    ActivityKind,
    AdminPage,
    Batch,
    DashboardFigure,
    EvaluationContext,
    KindExtension,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    ReferenceTable,
    Text,
    group_by_organisation,
    hookimpl,
    load_parameter_file,
)

from . import rules
from .refdata import reference_tables
from .schemas import (
    KIND_CHECKS,
    BenchmarkResultSchema,
    CampaignEnrolmentSchema,
    ForerunnerEvaluationSchema,
    StandardAdoptionSchema,
)

__all__ = ["KINDS", "__version__"]
__version__ = "1.0.1"

KINDS = ("campaign_enrolment", "benchmark_result", "standard_adoption", "forerunner_evaluation")


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("对标达标与企业标准领跑者", "Benchmarking and enterprise-standard forerunners"),
        description=Text(
            "按《关于加快推进标准强市建设的实施意见》第二部分第(六)项第1目、第(七)项第1目和第2目,"
            "登记对标达标专项行动、对标结果(达标或未达标)、采用国际标准和国外先进标准情况,并评定企业标准“领跑者”榜单。",
            "Benchmarking campaigns, results (compliant or not), adoptions of international and foreign standards, "
            "and the enterprise-standard forerunner lists, under 二(六)1, 二(七)1 and 二(七)2.",
        ),
        clauses=("二(六)1", "二(七)1", "二(七)2"),
        rules=rules.rule_legend(),
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return [
        ActivityKind("campaign_enrolment", Text("参加对标达标专项行动", "Benchmarking campaign enrolment"),
                     CampaignEnrolmentSchema, subject_field="campaign_field", group=group_by_organisation,
                     description=Text("企业参加某年度某重点领域的对标达标专项行动",
                                      "An enterprise enrols in a year's benchmarking campaign of a key field")),
        ActivityKind("benchmark_result", Text("对标结果", "Benchmarking result"), BenchmarkResultSchema,
                     subject_field="product", group=group_by_organisation,
                     description=Text("产品对标国际标准或国外先进标准的逐项指标结果",
                                      "A product's indicators against an international or foreign advanced standard")),
        ActivityKind("standard_adoption", Text("采用国际标准", "Adoption of an international standard"),
                     StandardAdoptionSchema, subject_field="chinese_standard", group=group_by_organisation,
                     description=Text("我国标准采用国际标准或国外先进标准(等同、修改、非等效)",
                                      "A Chinese standard adopting an international or foreign standard (IDT, MOD, NEQ)")),
        ActivityKind("forerunner_evaluation", Text("企业标准领跑者评价", "Forerunner evaluation"),
                     ForerunnerEvaluationSchema, subject_field="enterprise_standard",
                     # Forerunners are ranked within a year and a product category (rules.forerunners).
                     group=lambda activity: (activity.fields["year"], activity.fields["product_category"]),
                     description=Text("第三方评价机构对自我声明公开的企业标准或团体标准的评价",
                                      "A third party's evaluation of a self-declared enterprise or group standard")),
    ]


@hookimpl
def stdpolicy_register_kind_extensions() -> list[KindExtension]:
    return KIND_CHECKS


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    return reference_tables()


@hookimpl
def stdpolicy_demo_records() -> list[dict[str, Any]]:
    """Sample records of every kind for ``stdpolicy init --demo`` (fictitious enterprises' values and reports)."""
    text = resources.files(__package__).joinpath("data/demo_activities.json").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = json.loads(text)
    return records


@hookimpl
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    return [
        DashboardFigure("results", Text("对标结果", "Benchmarking results"), ("benchmark_result",), "count"),
        DashboardFigure("adoptions", Text("采用国际标准记录", "Adoption records"), ("standard_adoption",), "count"),
        DashboardFigure("forerunner_evaluations", Text("领跑者评价", "Forerunner evaluations"),
                        ("forerunner_evaluation",), "count"),
    ]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    from .admin import admin_pages  # Flask only here: the plugin works without the admin

    return admin_pages()


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    return rules.evaluate(batch, context)


@hookimpl
def stdpolicy_register_commands(cli: Any) -> None:
    from .commands import benchmarking_group

    cli.add_command(benchmarking_group)
