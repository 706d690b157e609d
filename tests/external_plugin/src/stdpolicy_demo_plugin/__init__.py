"""A demo third-party stdpolicy plugin (used by the tests only).

It declares one activity kind, ``demo_training`` (a standards training event
an organisation held), one dated parameter read from its own YAML file, and
pays that flat amount per event. It keeps a table of its own, the training
venues (``models.py``, two migrations in ``migrations/versions``). It also
contributes one admin page (``admin.py``, on ``stdpolicy/plugin_page.html``),
two commands, a JSON API endpoint (``GET /api/p/demo/trainings``), a reference table of training venues' seats (one shipped
version) and a parameter type, so that between them the built-in plugins and
this one implement every ``stdpolicy_*`` hook.

Deliberately no ``__version__``: the version core reports must come from the
installed distribution's metadata.
"""

from __future__ import annotations

import click
from datetime import date

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import (
    ActivityKind,
    AdminPage,
    ApiEndpoint,
    Batch,
    EvaluationContext,
    Outcome,
    ParameterDeclaration,
    ParameterType,
    PluginDescription,
    PluginStorage,
    ReferenceTable,
    ShippedVersion,
    Text,
    database_session,
    hookimpl,
    load_parameter_file,
)

from .models import Base, Venue

KIND = "demo_training"
PARAMETER = "demo.training.per_event"
CLAUSE = "三(四)"


class TrainingSchema(Schema):
    """``demo_training``: a standards training event."""

    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    participants = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class VenueSchema(Schema):
    """A row of ``demo.venues``: a training venue and how many it seats."""

    venue = fields.String(required=True, metadata={"label": Text("场地", "Venue")})
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                           metadata={"label": Text("座位数", "Seats")})


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(
        label=Text("演示插件", "Demo plugin"),
        description=Text("每场标准化培训给予固定补助(测试用)。", "A flat grant per standards training event (tests only)."),
        clauses=(CLAUSE,),
        rules=(("D1", Text("培训补助", "training grant")), ("D0", Text("无施行参数", "no parameter in force"))),
        api=">=1.0,<2",
    )


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return [ActivityKind(KIND, Text("标准化培训", "Standards training"), TrainingSchema, subject_field="topic")]


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_storage() -> PluginStorage:
    return PluginStorage(metadata=Base.metadata, migrations=f"{__name__}.migrations")


@hookimpl
def stdpolicy_register_parameter_types() -> list[ParameterType]:
    return [ParameterType("demo_headcount", Text("人数", "headcount"),
                          lambda decl, bounds: fields.Integer(required=True, strict=True, validate=bounds))]


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    return [ReferenceTable(
        key="demo.venues", label=Text("培训场地", "Training venues"), schema=VenueSchema, key_fields=("venue",),
        clause=CLAUSE, versions=(ShippedVersion(date(2022, 8, 1), ({"venue": "市民中心", "seats": 200},),
                                                document="《演示文件》", clause=CLAUSE),),
    )]


@hookimpl
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    from .admin import admin_pages  # Flask only when the admin is built

    return admin_pages()


class TrainingsQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class TrainingsSchema(Schema):
    year = fields.Integer(required=True)
    events = fields.Integer(required=True)
    participants = fields.Integer(required=True)


def trainings(year: int) -> dict[str, int]:
    """The stored training events of ``year`` and their participants."""
    from core import stored_activities  # Flask only when the API answers

    found = stored_activities(kinds=[KIND], since=date(year, 1, 1), until=date(year, 12, 31))
    return {"year": year, "events": len(found), "participants": sum(a.fields["participants"] for a in found)}


@hookimpl
def stdpolicy_register_api_endpoints() -> list[ApiEndpoint]:
    return [ApiEndpoint("trainings", trainings, Text("培训活动", "Training events of a year"), TrainingsSchema,
                        TrainingsQuerySchema)]


@hookimpl
def stdpolicy_register_commands(cli: click.Group) -> None:
    @cli.command("demo-hello")
    def hello() -> None:
        """Say hello from the demo plugin."""
        click.echo("hello from the demo plugin")

    @cli.command("demo-venues")
    def venues() -> None:
        """The training venues, with their capacity."""
        for venue in database_session().scalars(select(Venue).order_by(Venue.name)):
            click.echo(f"{venue.name}: {'?' if venue.capacity is None else venue.capacity} seats")


@hookimpl
def stdpolicy_demo_records() -> list[dict]:
    """One sample training, stored by `stdpolicy init --demo`."""
    return [{"id": "DEMO-T1", "kind": "demo_training", "date": "2024-05-06", "credit_code": "913304007429141869",
             "organisation": "示例培训机构", "topic": "标准化示例培训", "participants": 12}]


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    out = []
    for activity in batch.of_kind(KIND):
        value = context.parameters.value(PARAMETER, activity.date)
        if value is None:
            out.append(Outcome(activity, "D0", 0, CLAUSE, Text("无有效参数", "no parameter in force")))
            continue
        out.append(Outcome(
            activity, "D1", value.value, CLAUSE,
            Text(f"培训“{activity.fields['topic']}”:补助{value.value}元", f"training “{activity.fields['topic']}”: grant {value.value} yuan"),
            (value,),
        ))
    return out
