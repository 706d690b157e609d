"""The activity kinds several policy areas read, declared once by core.

A standard drafted, a committee secretariat taken on, a China Standard
Innovation Contribution Award, a standardisation pilot: reward_tiers pays
for them (三(二)), and the carbon, public-services and benchmarking plugins
read the same achievements for their own purposes. So no policy plugin owns
them: this module declares them, and is registered with every registry as a
plugin named ``core`` (``core.registry.BASE_PLUGIN``) before any other, so
every policy plugin may rely on them. A policy plugin says which of them it
evaluates (``PluginDescription(reads=…)``) and may extend them with optional
fields and checks of its own (``stdpolicy_register_kind_extensions``).

The schemas (``core.kinds.schemas``) check what is true of a record whatever
policy reads it; a policy's own reading belongs to that policy's plugin.
Issue #12 added ``talent_enterprise`` (一(二) 培育国际标准化人才企业) and the
award's level (national or provincial).
"""

from __future__ import annotations

from ..declarations import ActivityKind, PluginDescription
from ..grouping import by_committee, by_organisation, by_standard_series
from ..hooks import hookimpl
from ..text import Text
from .schemas import (
    InnovationAwardSchema,
    PilotProjectSchema,
    StandardDraftingSchema,
    TalentEnterpriseSchema,
    TcSecretariatSchema,
)

__all__ = [
    "INNOVATION_AWARD",
    "KINDS",
    "PILOT_PROJECT",
    "SHARED_KINDS",
    "STANDARD_DRAFTING",
    "TALENT_ENTERPRISE",
    "TC_SECRETARIAT",
]

STANDARD_DRAFTING = "standard_drafting"
TC_SECRETARIAT = "tc_secretariat"
INNOVATION_AWARD = "innovation_award"
PILOT_PROJECT = "pilot_project"
TALENT_ENTERPRISE = "talent_enterprise"

#: The shared kinds' names, in declaration order.
SHARED_KINDS = (STANDARD_DRAFTING, TC_SECRETARIAT, INNOVATION_AWARD, PILOT_PROJECT, TALENT_ENTERPRISE)

KINDS = [
    ActivityKind(
        STANDARD_DRAFTING,
        Text("标准制定", "Standard drafting"),
        StandardDraftingSchema,
        subject_field="standard_code",
        group=by_standard_series,
        description=Text("牵头或参与制定并完成(发布)的标准;日期为发布日期",
                         "A completed (published) standard the organisation led or took part in drafting; dated on publication"),
    ),
    ActivityKind(
        TC_SECRETARIAT,
        Text("技术委员会秘书处", "TC/SC secretariat"),
        TcSecretariatSchema,
        subject_field="committee_code",
        group=by_committee,
        description=Text("承担组建专业标准化技术委员会(分委会)秘书处", "Took on the secretariat of a technical committee or sub-committee"),
    ),
    ActivityKind(
        INNOVATION_AWARD,
        Text("中国标准创新贡献奖", "Standard Innovation Contribution Award"),
        InnovationAwardSchema,
        subject_field="award",
        group=by_organisation,
        description=Text("获得中国标准创新贡献奖(国家级)或浙江省标准创新贡献奖(省级);未填级别的为国家级",
                         "Won the China (national) or Zhejiang (provincial) Standard Innovation Contribution Award; "
                         "national when no level is recorded"),
    ),
    ActivityKind(
        PILOT_PROJECT,
        Text("标准化试点项目", "Standardisation pilot"),
        PilotProjectSchema,
        subject_field="pilot_level",
        group=by_organisation,
        description=Text("国家级、省级标准化试点示范项目", "National or provincial standardisation pilot or demonstration project"),
    ),
    ActivityKind(
        TALENT_ENTERPRISE,
        Text("国际标准化人才企业", "International-standardisation talent enterprise"),
        TalentEnterpriseSchema,
        subject_field="designation",
        group=by_organisation,
        description=Text("被认定为培育国际标准化人才的企业;日期为认定日期",
                         "An enterprise designated as cultivating international-standardisation talent; dated on designation"),
    ),
]


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("共用活动类型", "Shared activity kinds"),
        description=Text(
            "核心声明的、多个政策领域共同读取的活动类型:标准制定、技术委员会秘书处、标准创新贡献奖、标准化试点项目、国际标准化人才企业。",
            "The kinds of activity several policy areas read, declared by core: standard drafting, "
            "TC/SC secretariats, the Standard Innovation Contribution Award, standardisation pilots, "
            "international-standardisation talent enterprises.",
        ),
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return KINDS
