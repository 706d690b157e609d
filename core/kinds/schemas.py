"""The schemas of the shared activity kinds: what a record of each kind is.

Core adds the common fields (``id``, ``kind``, ``date``, ``credit_code``,
``organisation``); these schemas hold each kind's own. They check what is
true of the record whatever policy reads it — a standard number that parses
and the level it shows, a date in the year the number carries (the date is
the publication date), a committee code and the level it shows, the prize
and pilot levels that exist, money in whole yuan. What one policy makes of a
record (reward_tiers: an amendment counts as a revision; a pilot's granted
amount within its cap) is that plugin's kind extension, not checked here.

What they load is what the plugins read: a canonical standard number, the
standard's level (inferred from the number when not given), a canonical
committee code.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from ..fields import FreeText, LabelledOneOf, StandardNumberField, YesNo
from ..messages import Bilingual
from ..parameters import Money
from ..screening import shortened
from ..standards import LEVELS, LEVEL_NAMES, StandardNumber, standard_codes
from ..text import Text

__all__ = [
    "AWARDS",
    "AWARD_LEVELS",
    "AWARD_LEVEL_NAMES",
    "AWARD_NAMES",
    "COMMITTEE_LEVELS",
    "COMMITTEE_LEVEL_NAMES",
    "CommitteeCode",
    "InnovationAwardSchema",
    "PILOT_LEVELS",
    "PILOT_LEVEL_NAMES",
    "PilotProjectSchema",
    "StandardDraftingSchema",
    "TalentEnterpriseSchema",
    "TcSecretariatSchema",
    "award_level_of",
    "committee_level_of",
]

COMMITTEE_LEVELS = ("international", "national", "provincial")
AWARDS = ("first", "second", "third", "organization")
PILOT_LEVELS = ("national", "provincial")
AWARD_LEVELS = ("national", "provincial")

COMMITTEE_LEVEL_NAMES = {
    "international": Text("国际", "international"),
    "national": Text("全国", "national"),
    "provincial": Text("省级", "provincial"),
}
AWARD_NAMES = {
    "first": Text("一等奖", "first prize"),
    "second": Text("二等奖", "second prize"),
    "third": Text("三等奖", "third prize"),
    "organization": Text("组织奖", "organisation award"),
}
PILOT_LEVEL_NAMES = {"national": Text("国家级", "national"), "provincial": Text("省级", "provincial")}
AWARD_LEVEL_NAMES = {
    "national": Text("国家级(中国标准创新贡献奖)", "national (China Standard Innovation Contribution Award)"),
    "provincial": Text("省级(浙江省标准创新贡献奖)", "provincial (Zhejiang Standard Innovation Contribution Award)"),
}


def _label(zh: str, en: str, values: dict[str, Text] | None = None) -> dict[str, Any]:
    """Field metadata the admin shows: the field's name and, for codes, each value's."""
    return {"label": Text(zh, en), "values": values or {}}


class StandardDraftingSchema(Schema):
    """``standard_drafting``: an organisation drafted a standard that was published.

    The activity's date is the standard's publication date. ``rank`` is the
    organisation's place among the drafting units (1 = leading drafter);
    ``revision`` is true when the standard revises an earlier edition.
    """

    standard_code = StandardNumberField(parsed=True, required=True, metadata=_label("标准编号", "Standard number"))
    level = fields.String(load_default=None, validate=LabelledOneOf({code: LEVEL_NAMES[code] for code in LEVELS}),
                          metadata=_label("标准级别", "Level", LEVEL_NAMES))
    # Only ranks that exist: a drafting-unit list is short, and 100 or more is a typing error.
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99),
                          metadata=_label("起草单位排名", "Rank among the drafting units"))
    revision = YesNo(load_default=False, metadata=_label("是否修订", "Revision"))
    title = FreeText(load_default=None, validate=validate.Length(max=300), metadata=_label("标准名称", "Title"))
    #: Set when the record is loaded: whether the level was inferred from the number or declared.
    level_basis = fields.String(dump_only=True, metadata=_label("级别来源", "Level from", {
        "inferred": Text("由标准编号判定", "inferred from the number"),
        "declared": Text("按申报", "as declared"),
    }))

    @post_load
    def _settle_level(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        number: StandardNumber = data["standard_code"]
        errors: dict[str, list[str]] = {}
        # 并完成: the activity is the standard's completion, so its date falls in
        # the year the number carries (or the next, when approval and
        # publication straddle New Year). An old standard cannot be reported
        # with a new date.
        day = data.get("date")
        if number.year is not None and day is not None and not 0 <= day.year - number.year <= 1:
            errors.setdefault("date", []).append(Bilingual(
                f"标准编号 {number.code} 的年份 {number.year} 与日期 {day.isoformat()} 不符(日期应为该标准的发布日期)",
                f"the year {number.year} of {number.code} does not match the date {day.isoformat()} "
                "(the date is the standard's publication date)",
            ))
        declared = data.get("level")
        if declared is None:
            data["level"] = number.level
            data["level_basis"] = "inferred"
        elif declared not in number.allowed_levels:
            errors.setdefault("level", []).append(Bilingual(
                f"级别“{LEVEL_NAMES[declared].zh}”与标准编号 {number.code} 不符(编号显示为{LEVEL_NAMES[number.level].zh})",
                f"level {declared!r} contradicts the number {number.code}, which is a {LEVEL_NAMES[number.level].en}",
            ))
        else:
            data["level_basis"] = "inferred" if declared == number.level else "declared"
        if errors:  # every problem of the record at once, each on its field
            raise ValidationError(errors)
        data["standard_code"] = number.code
        return data


# -- technical committees -------------------------------------------------------

# A committee or a sub-committee: working groups have convenors, not secretariats. Committees are
# numbered to three digits (SAC/TC 548, ISO/TC 323), sub-committees to two: four leaves room, and
# "SAC/TC 20/SC 3" with 300 more digits is no committee.
_COMMITTEE = re.compile(r"^(?:SAC|ISO|IEC|ISO/IEC|ITU-[TRD]|[A-Z]{2,6})[/ ](?:TC|JTC|SG) \d{1,4}(?:/SC \d{1,4})?$")


class CommitteeCode(fields.String):
    """A technical committee number, canonical (``SAC/TC 548``, ``ISO/TC 207/SC 7``).

    National committees are ``SAC/TC n`` (sub-committees ``SAC/TC n/SC m``);
    international ones ISO, IEC or ITU committees; provincial ones carry a
    prefix listed in ``provincial_committees`` of the standard-code lists
    (Zhejiang's numbering is not settled, domain-facts.md ``?``: ``ZJ``).
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        canonical = unicodedata.normalize("NFKC", text).upper()
        canonical = " ".join(canonical.split())
        canonical = re.sub(r"\s*/\s*", "/", canonical)
        canonical = re.sub(r"(?<![A-Z])(TC|SC|WG|SG|JTC)\s*(\d+)", r"\1 \2", canonical)
        canonical = re.sub(r"^([A-Z]{2,6})\s+(TC|SC|SG) ", r"\1/\2 ", canonical)  # "ZJ TC 31" → "ZJ/TC 31"
        if not _COMMITTEE.match(canonical):
            shown = shortened(text, 40)
            raise ValidationError(Bilingual(
                f"无法识别的技术委员会编号 {shown}(应如 SAC/TC 548、ISO/TC 207/SC 7)",
                f"unrecognised committee number {shown} (e.g. SAC/TC 548, ISO/TC 207/SC 7)",
            ))
        return canonical


def committee_level_of(code: str) -> str | None:
    """The level a canonical committee code shows; ``None`` for another body's committee."""
    body = re.split(r"[/ ]", code, maxsplit=1)[0]
    if body in ("ISO", "IEC") or body.startswith("ITU-"):
        return "international"
    if body == "SAC":
        return "national"
    if body in standard_codes().provincial_committees:
        return "provincial"
    return None


class TcSecretariatSchema(Schema):
    """``tc_secretariat``: an organisation took on a TC/SC secretariat."""

    committee_code = CommitteeCode(required=True, metadata=_label("技术委员会编号", "Committee number"))
    committee_level = fields.String(required=True, validate=LabelledOneOf(COMMITTEE_LEVEL_NAMES),
                                    metadata=_label("技术委员会级别", "Committee level", COMMITTEE_LEVEL_NAMES))
    committee_name = FreeText(load_default=None, validate=validate.Length(max=300),
                              metadata=_label("技术委员会名称", "Committee name"))

    @post_load
    def _check_level(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        shown = committee_level_of(data["committee_code"])
        if shown is None:
            raise ValidationError(Bilingual(
                f"{data['committee_code']} 不是国际(ISO、IEC、ITU)、全国(SAC)或省级专业标准化技术委员会",
                f"{data['committee_code']} is not an international (ISO, IEC, ITU), national (SAC) "
                "or provincial standardisation committee",
            ), field_name="committee_code")
        if shown != data["committee_level"]:
            names = {"international": ("国际标准化技术委员会", "an international"),
                     "national": ("全国专业标准化技术委员会", "a national"),
                     "provincial": ("省级专业标准化技术委员会", "a provincial")}
            declared = COMMITTEE_LEVEL_NAMES[data["committee_level"]].zh
            raise ValidationError(Bilingual(
                f"级别“{declared}”与编号 {data['committee_code']} 不符(编号显示为{names[shown][0]})",
                f"level {data['committee_level']!r} contradicts {data['committee_code']}, {names[shown][1]} committee",
            ), field_name="committee_level")
        return data


# -- awards and pilots ----------------------------------------------------------

def award_level_of(record_fields: dict[str, Any]) -> str:
    """The level of an ``innovation_award`` record: as recorded, ``national`` when not recorded.

    Records stored before the level existed name the China Standard
    Innovation Contribution Award (the national one, the only one the kind
    recorded): they keep their fields and fingerprints and read as national.
    """
    return str(record_fields.get("level") or "national")


class InnovationAwardSchema(Schema):
    """``innovation_award``: a Standard Innovation Contribution Award, national or provincial.

    ``project`` (the awarded standard project) is optional; when given, the
    same organisation and project is rewarded once. ``level`` (一(二) 争创国家、
    省级标准创新贡献奖) is optional and has no default, so a record written
    before it existed keeps its fields and its fingerprint: such a record is
    the national award (``award_level_of``).
    """

    award = fields.String(required=True, validate=LabelledOneOf(AWARD_NAMES), metadata=_label("奖项", "Award", AWARD_NAMES))
    level = fields.String(validate=LabelledOneOf(AWARD_LEVEL_NAMES),
                          metadata=_label("奖项级别", "Award level", AWARD_LEVEL_NAMES))
    project = FreeText(load_default=None, validate=validate.Length(min=1, max=300),
                       metadata=_label("获奖项目", "Project"))


class PilotProjectSchema(Schema):
    """``pilot_project``: a standardisation pilot or demonstration project.

    ``granted_amount`` (integer yuan) is what was actually granted on
    assessment. (That it may not exceed a cap is the reading of the plugin
    that sets the cap: reward_tiers' kind extension.)
    """

    pilot_level = fields.String(required=True, validate=LabelledOneOf(PILOT_LEVEL_NAMES),
                                metadata=_label("试点级别", "Pilot level", PILOT_LEVEL_NAMES))
    accepted = YesNo(required=True, metadata=_label("是否通过验收", "Passed acceptance"))
    granted_amount = Money(load_default=None, metadata=_label("核定金额(元)", "Granted amount (yuan)"))
    project = FreeText(load_default=None, validate=validate.Length(min=1, max=300),
                       metadata=_label("试点项目", "Project"))


# -- international-standardisation talent enterprises ----------------------------

class TalentEnterpriseSchema(Schema):
    """``talent_enterprise``: an enterprise designated as cultivating international-standardisation talent.

    一(二) 培育国际标准化人才企业5家以上: the city counts the enterprises
    designated. The activity's date is the designation's date; ``designation``
    names it as conferred (the list or batch), ``designated_by`` and
    ``document`` the body and the document that conferred it.
    """

    designation = FreeText(required=True, validate=validate.Length(min=1, max=300),
                           metadata=_label("认定名称", "Designation"))
    designated_by = FreeText(load_default=None, validate=validate.Length(max=200),
                             metadata=_label("认定单位", "Designated by"))
    document = FreeText(load_default=None, validate=validate.Length(max=200),
                        metadata=_label("认定文件(文号)", "Designation document"))
