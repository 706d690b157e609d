"""Carbon peak and neutrality standards (二(五)1): energy quotas, carbon standards, accounting, low-carbon labels.

Owned by the Development and Reform Commission (development_reform), viewed
by the Ecology and Environment Bureau (core/data/departments.yaml). Its
outcomes are statuses a department acts on — compliant, non-compliant
(the rectification list), tracking, held — and no money unless a dated
parameter sets a bonus.

- ``energy_quota_report``: graded against the quota standard edition in
  force for the reporting year (reference table ``carbon.quota_standards``);
- ``standard_drafting`` (core's shared kind, extended with ``carbon_topic``):
  carbon standards led or taken part in, recognised by the declared topic
  or the list ``carbon.carbon_standards``;
- ``carbon_accounting_report``: the accounting standard applied against the
  sector's national standard (``carbon.accounting_standards``), verified or not;
- ``low_carbon_certification``: valid, expiring, expired.

See README (“carbon”) and docs/policy-readings.md (“carbon”).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import click

from core import (
    STANDARD_DRAFTING,
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
    load_reference_versions,
)

from . import rules
from .labels import CLAUSE, GREEN_CLAUSE
from .schemas import (
    ACCOUNTING_TABLE,
    EXTENSIONS,
    QUOTA_TABLE,
    STANDARDS_TABLE,
    AccountingReportSchema,
    AccountingRowSchema,
    CarbonStandardRowSchema,
    CertificateSchema,
    EnergyQuotaReportSchema,
    QuotaRowSchema,
)

__all__ = ["__version__"]
__version__ = "1.0.1"


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("碳达峰碳中和标准", "Carbon peak and neutrality standards"),
        description=Text(
            "按《关于加快推进标准强市建设的实施意见》二(五)1 核对能耗限额达标情况、跟踪碳标准制定成果、"
            "核对碳排放核算标准的采用与核查、跟踪低碳产品认证证书有效期。",
            "Under 二(五)1: energy-quota compliance, carbon standards drafted, carbon accounting against the "
            "national standards, low-carbon product certificates.",
        ),
        clauses=(CLAUSE, GREEN_CLAUSE),
        rules=rules.RULES,
        reads=(STANDARD_DRAFTING,),
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return [
        ActivityKind(rules.ENERGY_QUOTA, Text("能耗限额报告", "Energy quota report"), EnergyQuotaReportSchema,
                     subject_field="quota_standard", group=group_by_organisation,
                     description=Text("单位产品能源消耗实测值与强制性能耗限额标准对照",
                                      "measured energy consumption per unit of product against a mandatory quota standard")),
        ActivityKind(rules.ACCOUNTING, Text("碳排放核算报告", "Carbon accounting report"), AccountingReportSchema,
                     subject_field="accounting_standard", group=group_by_organisation,
                     description=Text("企业温室气体排放核算报告及核查", "an enterprise's greenhouse-gas report and its verification")),
        ActivityKind(rules.CERTIFICATE, Text("低碳产品认证", "Low-carbon product certificate"), CertificateSchema,
                     subject_field="certificate_number", group=group_by_organisation,
                     daily=True,  # valid, expiring or expired as of the evaluation day
                     description=Text("低碳产品认证证书及其有效期", "a low-carbon product certificate and its validity")),
    ]


@hookimpl
def stdpolicy_register_kind_extensions() -> list[KindExtension]:
    return EXTENSIONS


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    return [
        ReferenceTable(
            key=QUOTA_TABLE, label=Text("能耗限额标准", "Energy quota standards"), schema=QuotaRowSchema,
            key_fields=("standard", "product"), clause=CLAUSE,
            description=Text("单位产品能源消耗限额强制性标准:各版本、产品、指标的等级限定值和准入值",
                             "Mandatory energy-consumption quotas per unit of product: grade limits and access "
                             "values per edition, product and indicator"),
            versions=load_reference_versions("data/quota_standards.yaml", __name__),
        ),
        ReferenceTable(
            key=STANDARDS_TABLE, label=Text("碳标准清单", "Carbon standards list"), schema=CarbonStandardRowSchema,
            key_fields=("standard",), clause=CLAUSE,
            description=Text("碳标签、碳足迹、碳捕获利用、碳排放核算及能耗能效等碳达峰碳中和相关标准",
                             "Carbon-label, carbon-footprint, CCUS, accounting, quota and efficiency standards"),
            versions=load_reference_versions("data/carbon_standards.yaml", __name__),
        ),
        ReferenceTable(
            key=ACCOUNTING_TABLE, label=Text("行业核算标准", "Sector accounting standards"),
            schema=AccountingRowSchema, key_fields=("sector",), clause=CLAUSE,
            description=Text("各行业适用的全国统一温室气体排放核算与报告标准",
                             "The national greenhouse-gas accounting standard each sector applies"),
            versions=load_reference_versions("data/accounting_standards.yaml", __name__),
        ),
    ]


@hookimpl
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    return [
        DashboardFigure("quota_reports", Text("能耗限额报告", "Energy quota reports"), (rules.ENERGY_QUOTA,), "count"),
        DashboardFigure("accounting_reports", Text("碳排放核算报告", "Carbon accounting reports"), (rules.ACCOUNTING,), "count"),
        DashboardFigure("certificates", Text("低碳产品认证证书", "Low-carbon product certificates"), (rules.CERTIFICATE,), "count"),
    ]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    # Flask is imported here only: the plugin and core stay usable without the admin.
    from .admin import admin_pages

    return admin_pages()


@hookimpl
def stdpolicy_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    return rules.evaluate(batch, context)


@hookimpl
def stdpolicy_demo_records() -> list[dict[str, Any]]:
    # Sample organisations (示例) across the counties: quota reports read the sample quota versions.
    data = resources.files(__name__).joinpath("data/demo_records.json").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = json.loads(data)
    return records
