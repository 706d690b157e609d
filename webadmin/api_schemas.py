"""Marshmallow schemas of the JSON API: what the OpenAPI document describes, and what the read endpoints load and dump.

The evaluation document is written by ``core.interchange`` (the command's
own writer, byte for byte); its schemas here describe it, and
tests/test_openapi.py checks real answers against the document. The
register's query and totals are loaded and dumped through their schemas.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from core.store.register import GROUPS

__all__ = [
    "ActivityRecordSchema",
    "ErrorSchema",
    "EvaluationSchema",
    "PluginsSchema",
    "RegisterTotalsQuerySchema",
    "RegisterTotalsSchema",
    "StoredActivitySchema",
]


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "A code: bad_request, unauthorized, payload_too_large …"})
    message = fields.String(required=True, metadata={"description": "What went wrong and what to do, in English."})
    limit = fields.Integer(metadata={"description": "payload_too_large: the largest body accepted, in bytes."})
    import_page = fields.String(metadata={"description": "payload_too_large: the admin's Import page."})
    #: 400 from a read endpoint: each bad query parameter's messages.
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "A bad query: each parameter's problems."})


class ActivityRecordSchema(Schema):
    """One activity record of the interchange format; each kind adds its own fields (``stdpolicy kinds``)."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(metadata={"description": "The record's own id in the sender's system."})
    kind = fields.String(required=True, metadata={"description": "The activity kind (standard_drafting, tc_secretariat …)."})
    date = fields.Date(required=True)
    credit_code = fields.String(required=True, metadata={"description": "Unified social credit code (18 characters)."})
    organisation = fields.String()


class _TextSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class _ParameterReadSchema(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True, metadata={"description": "As stored: decimals as strings, never floats."})
    effective_from = fields.Date(required=True)
    version_id = fields.Integer(allow_none=True)
    sequence = fields.Integer(allow_none=True)


class _ReferenceReadSchema(Schema):
    key = fields.String(required=True)
    sequence = fields.Integer(allow_none=True)
    version_id = fields.Integer(allow_none=True)
    effective_from = fields.Date(required=True)
    source = fields.String(allow_none=True)


class _OutcomeSchema(Schema):
    plugin = fields.String(required=True)
    plugin_version = fields.String(required=True)
    rule = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Integer yuan due (0 when held for review)."})
    clause = fields.String(required=True)
    explanation = fields.Nested(_TextSchema, required=True)
    parameters = fields.List(fields.Nested(_ParameterReadSchema), required=True)
    references = fields.List(fields.Nested(_ReferenceReadSchema))
    status = fields.String(metadata={"description": "Given when not ok: held, not_covered, error, tracking …"})
    details = fields.Dict(metadata={"description": "Machine-readable facts (held_amount, held_reasons, reason …)."})


class _FieldErrorSchema(Schema):
    field = fields.String(required=True, allow_none=True)
    message = fields.String(required=True)
    message_zh = fields.String(required=True)


class _ResultSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, allow_none=True)
    amount = fields.Integer(required=True)
    held_amount = fields.Integer(metadata={"description": "Given when not 0: what held outcomes would pay."})
    outcomes = fields.List(fields.Nested(_OutcomeSchema), required=True)
    errors = fields.List(fields.Nested(_FieldErrorSchema), required=True)
    row = fields.Integer(metadata={"description": "An invalid record: its position in the array."})
    line = fields.Integer(metadata={"description": "An invalid record: its line (JSON Lines)."})


class EvaluationSchema(Schema):
    """The result document of ``stdpolicy evaluate``, byte for byte."""

    results = fields.List(fields.Nested(_ResultSchema), required=True)
    total_amount = fields.Integer(required=True, metadata={"description": "Integer yuan due over every result."})
    held_amount = fields.Integer(required=True, metadata={"description": "Integer yuan held for review, not in total_amount."})
    invalid = fields.Integer(required=True)


class _PluginSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    label = fields.Nested(_TextSchema, required=True)
    description = fields.Nested(_TextSchema, required=True)
    clauses = fields.List(fields.String(), required=True)
    source = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    reads = fields.List(fields.String(), required=True)
    parameters = fields.List(fields.String(), required=True)
    enabled = fields.Boolean(required=True, metadata={"description": "Switched on by the token's department."})


class _PluginFailureSchema(Schema):
    name = fields.String(required=True)
    source = fields.String(required=True, allow_none=True)
    stage = fields.String(required=True)
    error = fields.String(required=True)
    where = fields.String(required=True, allow_none=True)


class PluginsSchema(Schema):
    department = fields.String(required=True)
    plugins = fields.List(fields.Nested(_PluginSchema), required=True)
    failures = fields.List(fields.Nested(_PluginFailureSchema), required=True)


class RegisterTotalsQuerySchema(Schema):
    """The register's filters (as the admin's Activities page has them) and the grouping."""

    by = fields.String(load_default="organisation", validate=validate.OneOf(GROUPS),
                       metadata={"description": "Group the lines by organisation, county, year or rule."})
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "Organisation name or credit code, standard number or committee, record id."})
    kind = fields.String(load_default=None, metadata={"description": "An activity kind."})
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2999))
    county = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"),
                           metadata={"description": "A GB/T 2260 region code (330421: 嘉善县)."})
    plugin = fields.String(load_default=None)
    paid_only = fields.Boolean(load_default=False, metadata={"description": "Only activities with an amount above zero."})


class _TotalLineSchema(Schema):
    key = fields.String(required=True, metadata={"description": "Credit code, region code, year or rule."})
    name = fields.String(allow_none=True, metadata={"description": "The organisation's name (organisation lines)."})
    county = fields.Nested(_TextSchema, allow_none=True,
                           metadata={"description": "The county (or province) of a county or organisation line."})
    activities = fields.Integer(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Integer yuan paid (current outcomes)."})
    held = fields.Integer(required=True, metadata={"description": "Integer yuan held for review, not in amount."})


class RegisterTotalsSchema(Schema):
    department = fields.String(required=True)
    group = fields.String(required=True)
    activities = fields.Integer(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Integer yuan paid over the filtered list."})
    held = fields.Integer(required=True, metadata={"description": "Integer yuan held for review, not in amount."})
    lines = fields.List(fields.Nested(_TotalLineSchema), required=True)


class _ReviewSchema(Schema):
    decision = fields.String(required=True, metadata={"description": "approved or rejected."})
    note = fields.String(required=True)
    decided_by = fields.String(required=True)
    decided_at = fields.DateTime(required=True, format="iso", metadata={"description": "UTC."})


class _StoredOutcomeSchema(Schema):
    id = fields.Integer(required=True)
    plugin = fields.String(required=True)
    plugin_version = fields.String(required=True)
    rule = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Integer yuan due by the rules (0 when held)."})
    payable = fields.Integer(required=True, metadata={"description": "amount, or the held amount once approved."})
    status = fields.String(required=True, metadata={"description": "ok, held, not_covered, error, tracking …"})
    clause = fields.String(required=True)
    explanation = fields.Nested(_TextSchema, required=True)
    computed_at = fields.DateTime(required=True, format="iso", metadata={"description": "UTC."})
    held_amount = fields.Integer(metadata={"description": "A held outcome: what it would pay once approved."})
    held_reasons = fields.List(fields.Dict(), metadata={"description": "A held outcome: {code, zh, en, other?} each."})
    review = fields.Nested(_ReviewSchema, allow_none=True,
                           metadata={"description": "A held outcome: the decision in effect; null while pending."})


class StoredActivitySchema(Schema):
    """A stored activity with the current outcomes the token's department sees."""

    id = fields.Integer(required=True, metadata={"description": "The database id (the admin's /activities/<id>)."})
    ref = fields.String(required=True)
    external_id = fields.String(allow_none=True)
    kind = fields.String(required=True)
    date = fields.Date(required=True)
    credit_code = fields.String(required=True)
    organisation = fields.String(allow_none=True)
    fields_ = fields.Dict(data_key="fields", required=True)
    amount = fields.Integer(required=True)
    payable = fields.Integer(required=True)
    outcomes = fields.List(fields.Nested(_StoredOutcomeSchema), required=True)
