"""Basic public services (二(三)1): the three lists, dynamically managed, and monitoring of their standards.

《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》二(三)1:
深入开展基本公共服务标准化试点,梳理基本公共服务清单、标准清单、责任清单,
加强标准实施监测及动态管理,及时跟踪标准水平和实施进展。

- the service list, the standards list and the responsibility list (and the
  classification of aspects and categories) are versioned reference tables:
  each change a new dated version with its reason and document, compared,
  imported and exported by the platform (``stdpolicy refdata``, the admin's
  参考数据 pages);
- ``service_monitoring`` records (county, item, period, indicator, measured
  value) are checked against the service list in force for the period:
  meets the standard, below it, or no quantitative standard;
- the shared ``pilot_project`` kind gains ``service_items``: a pilot naming
  the items it covers is a basic public service standardisation pilot;
- the lists are checked (a local standard lower than the national one,
  items without a standard in force, standards due for review) on the
  plugin's pages and with ``stdpolicy public-services check``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from core import (
    PILOT_PROJECT,
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
from .schemas import (
    CLASSIFICATION,
    EXTENSIONS,
    RESPONSIBILITY_LIST,
    SERVICE_LIST,
    STANDARDS_LIST,
    ClassificationRowSchema,
    MonitoringSchema,
    ResponsibilityRowSchema,
    ServiceRowSchema,
    StandardRowSchema,
)
from .words import CLAUSE

__all__ = ["__version__"]
__version__ = "1.0.1"


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("基本公共服务标准化", "Basic public service standards"),
        description=Text(
            "按《关于加快推进标准强市建设的实施意见》二(三)1管理基本公共服务清单、标准清单、责任清单,"
            "监测标准实施情况,跟踪基本公共服务标准化试点。",
            "Under 二(三)1: the basic public service list, standards list and responsibility list, monitoring "
            "of how their standards are met, and basic public service standardisation pilots.",
        ),
        clauses=(CLAUSE,),
        rules=rules.rule_legend(),
        reads=(PILOT_PROJECT,),
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return [ActivityKind(rules.KIND, Text("基本公共服务标准实施监测", "Public service standard monitoring"),
                         MonitoringSchema, subject_field="item_code", group=group_by_organisation)]


@hookimpl
def stdpolicy_register_kind_extensions() -> list[KindExtension]:
    return EXTENSIONS


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    def versions(name: str) -> Any:
        return load_reference_versions(f"data/{name}.yaml", __name__)

    return [
        ReferenceTable(
            key=CLASSIFICATION, label=Text("基本公共服务分类", "Service classification"),
            description=Text("国家基本公共服务标准的服务方面(如 5 老有所养)与服务类别(如 5.1)",
                             "the aspects (5) and categories (5.1) of the national standard"),
            schema=ClassificationRowSchema, key_fields=("code",), clause=CLAUSE, versions=versions("classification"),
        ),
        ReferenceTable(
            key=SERVICE_LIST, label=Text("基本公共服务清单", "Basic public service list"),
            description=Text("每个服务项目一行:服务对象、服务内容、服务标准(含量化指标)、支出责任、牵头负责单位",
                             "one row per item: who is served, content, standard (with indicators), spending, lead"),
            schema=ServiceRowSchema, key_fields=("item_code",), clause=CLAUSE, versions=versions("service_list"),
        ),
        ReferenceTable(
            key=STANDARDS_LIST, label=Text("基本公共服务标准清单", "Basic public service standards list"),
            description=Text("支撑各服务项目的国家标准、地方标准及其状态和指标值",
                             "the national and local standards supporting each item, their status and values"),
            schema=StandardRowSchema, key_fields=("item_code", "standard"), clause=CLAUSE,
            versions=versions("standards_list"),
        ),
        ReferenceTable(
            key=RESPONSIBILITY_LIST, label=Text("基本公共服务责任清单", "Basic public service responsibility list"),
            description=Text("各服务项目的牵头负责单位、配合单位和县(市、区)职责",
                             "per item: lead department, cooperating departments, the counties' duties"),
            schema=ResponsibilityRowSchema, key_fields=("item_code",), clause=CLAUSE,
            versions=versions("responsibility_list"),
        ),
    ]


@hookimpl
def stdpolicy_demo_records() -> list[dict[str, Any]]:
    """Sample monitoring records for ``stdpolicy init --demo``: two quarters of 2024, every county, three indicators.

    The departments and values are invented (示例) to fill the alerts and
    the trends pages; they are measured against the sample service list.
    """
    text = resources.files(__package__).joinpath("data/demo_activities.json").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = json.loads(text)
    return records


@hookimpl
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    return [
        DashboardFigure("monitoring", Text("标准实施监测记录", "Monitoring records"), (rules.KIND,), "count"),
        DashboardFigure("pilots", Text("标准化试点项目", "Standardisation pilots"), (PILOT_PROJECT,), "count"),
    ]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    # Flask is imported here only: the plugin and core stay usable without the admin.
    from .admin import admin_pages

    return admin_pages()


@hookimpl
def stdpolicy_register_commands(cli: Any) -> None:
    from .commands import register

    register(cli)


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    return rules.evaluate(batch, context)
