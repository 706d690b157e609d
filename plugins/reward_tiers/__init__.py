"""Reward and subsidy tiers of 三(二) (加大政策扶持).

Evaluates rules R1–R13 on four of core's shared activity kinds (standard
drafting, TC/SC secretariats, the China Standard Innovation Contribution
Award, standardisation pilots: ``core.kinds``), declares the 19 dated
amounts of 三(二) and the three dated parameters of its held-for-review
readings (the city's credit-code regions, the Zhejiang brands' group codes),
and extends the four kinds with its own readings (an amendment is recorded as
a revision; a pilot's granted amount within the cap; a prize names its
project; an ITU-T study group is not a committee).
"""

from __future__ import annotations

from core import (
    AdminPage,
    Batch,
    DashboardFigure,
    INNOVATION_AWARD,
    PILOT_PROJECT,
    STANDARD_DRAFTING,
    TC_SECRETARIAT,
    EvaluationContext,
    KindExtension,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    Text,
    hookimpl,
    load_parameter_file,
)

from . import rules
from .schemas import EXTENSIONS

__all__ = ["READS", "__version__"]
__version__ = "1.0.0"

#: The shared kinds 三(二) rewards.
READS = (STANDARD_DRAFTING, TC_SECRETARIAT, INNOVATION_AWARD, PILOT_PROJECT)


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
        held_reasons=rules.HELD_REASONS,
        reads=READS,
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_kind_extensions() -> list[KindExtension]:
    return EXTENSIONS


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
