"""Reward and subsidy tiers of 三(二) (加大政策扶持).

Declares four activity kinds (standard drafting, TC/SC secretariats, the
China Standard Innovation Contribution Award, standardisation pilots), the
19 dated amounts of 三(二) as parameters, and evaluates rules R1–R13.
"""

from __future__ import annotations

from core import (
    ActivityKind,
    AdminPage,
    Batch,
    DashboardFigure,
    EvaluationContext,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    Text,
    hookimpl,
    load_parameter_file,
)

from . import rules
from .schemas import InnovationAwardSchema, PilotProjectSchema, StandardDraftingSchema, TcSecretariatSchema

__all__ = ["__version__"]
__version__ = "1.0.0"

KINDS = [
    ActivityKind(
        "standard_drafting",
        Text("标准制定", "Standard drafting"),
        StandardDraftingSchema,
        subject_field="standard_code",
        description=Text("牵头或参与制定并完成(发布)的标准;日期为发布日期",
                         "A completed (published) standard the organisation led or took part in drafting; dated on publication"),
    ),
    ActivityKind(
        "tc_secretariat",
        Text("技术委员会秘书处", "TC/SC secretariat"),
        TcSecretariatSchema,
        subject_field="committee_code",
        description=Text("承担组建专业标准化技术委员会(分委会)秘书处", "Took on the secretariat of a technical committee or sub-committee"),
    ),
    ActivityKind(
        "innovation_award",
        Text("中国标准创新贡献奖", "Standard Innovation Contribution Award"),
        InnovationAwardSchema,
        subject_field="award",
        description=Text("获得中国标准创新贡献奖", "Won the China Standard Innovation Contribution Award"),
    ),
    ActivityKind(
        "pilot_project",
        Text("标准化试点项目", "Standardisation pilot"),
        PilotProjectSchema,
        subject_field="pilot_level",
        description=Text("国家级、省级标准化试点示范项目", "National or provincial standardisation pilot or demonstration project"),
    ),
]


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("标准化奖励与补助", "Standardisation rewards and subsidies"),
        description=Text(
            "按《关于加快推进标准强市建设的实施意见》三(二)计算标准制定、技术委员会秘书处、标准创新贡献奖和标准化试点项目的奖励与补助。",
            "Rewards and subsidies of 三(二) for standard drafting, TC/SC secretariats, the Standard Innovation "
            "Contribution Award and standardisation pilots.",
        ),
        clauses=(rules.CLAUSE,),
        rules=rules.rule_legend(),
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return KINDS


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    return [
        DashboardFigure("standards", Text("标准制定成果", "Standards drafted"), ("standard_drafting",), "count"),
        DashboardFigure("secretariats", Text("技术委员会秘书处", "Committee secretariats"), ("tc_secretariat",), "count"),
        DashboardFigure("rewards", Text("奖励与补助合计", "Rewards and subsidies"),
                        ("standard_drafting", "tc_secretariat", "innovation_award", "pilot_project"), "amount"),
    ]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    # Flask is imported here only: the plugin and core stay usable without the admin.
    from .admin import admin_pages

    return admin_pages()


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    return rules.evaluate(batch, context)
