"""What counts towards the targets of 一(二): the register's activities turned into counted achievements.

Pure functions over ``core.Activity`` (no database, no Flask): the pages,
the command line, the assessment and a future annual report all count with
these, and the tests check them on records alone. Every rule below quotes
the text it reads; docs/policy-readings.md ("city_targets") states each
reading with the passage it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from core import (
    INNOVATION_AWARD,
    PILOT_PROJECT,
    STANDARD_DRAFTING,
    TALENT_ENTERPRISE,
    TC_SECRETARIAT,
    Activity,
    InvalidStandardNumber,
    Text,
    award_level_of,
    name_key,
    parse_standard_number,
    region_of,
    standard_identity,
)

__all__ = ["CITY_PREFIX", "CLAUSE", "KINDS", "TARGETS", "TARGET_KINDS", "TARGET_NAMES", "Item", "count_items",
           "in_period"]

CLAUSE = "一(二)"
#: The city's region codes (credit code positions 3–8) start so: 嘉兴市 and its counties.
CITY_PREFIX = "3304"

#: The targets in the order the text names them.
TARGETS = ("international", "national", "zhejiang_made", "pilots", "awards", "talent", "secretariats")
TARGET_NAMES: dict[str, Text] = {
    "international": Text("国际标准", "International standards"),
    "national": Text("国家标准", "National standards"),
    "zhejiang_made": Text("“品字标浙江制造”标准", "“Zhejiang Made” standards"),
    "pilots": Text("国家级、省级标准化试点示范项目", "National or provincial standardisation pilots"),
    "awards": Text("国家、省级标准创新贡献奖", "National or provincial standard-innovation awards"),
    "talent": Text("国际标准化人才企业", "International-standardisation talent enterprises"),
    "secretariats": Text("国际、全国、省专业标准化技术委员会(分委会)秘书处",
                         "International, national or provincial TC/SC secretariats"),
}
#: The shared kind each target is counted from.
TARGET_KINDS: dict[str, str] = {
    "international": STANDARD_DRAFTING, "national": STANDARD_DRAFTING, "zhejiang_made": STANDARD_DRAFTING,
    "pilots": PILOT_PROJECT, "awards": INNOVATION_AWARD, "talent": TALENT_ENTERPRISE,
    "secretariats": TC_SECRETARIAT,
}
KINDS = tuple(dict.fromkeys(TARGET_KINDS.values()))

# 新增主导或参与制修订国际标准5项以上、国家标准200项以上,新增“品字标浙江制造”标准200项以上:
# led or taken part in (any rank), drafted or revised (修订 counts here, unlike 三(二)'s
# lead reward); the “品字标浙江制造” standards are those recorded at the level zhejiang_made.
_STANDARD_TARGETS = {"international": "international", "national": "national", "zhejiang_made": "zhejiang_made"}


@dataclass
class Item:
    """One achievement counted once towards a target, with the activities that record it.

    ``date`` is its earliest record's date (when it was new); ``counties`` the
    Jiaxing region codes of the organisations that recorded it.
    """

    target: str
    key: str
    subject: str
    activities: list[Activity] = field(default_factory=list)

    @property
    def date(self) -> date:
        return min(a.date for a in self.activities)

    @property
    def counties(self) -> frozenset[str]:
        return frozenset(code for code in (region_of(a.credit_code)[0] for a in self.activities)
                         if code.startswith(CITY_PREFIX))


def _standard(activity: Activity) -> tuple[str, str, str] | None:
    fields = activity.fields
    target = _STANDARD_TARGETS.get(fields.get("level") or "")
    if target is None:
        return None
    code = fields["standard_code"]
    try:
        if parse_standard_number(code).amendment:
            # A amendment (修改单, /Amd) changes a standard; it is not a standard drafted or revised.
            return None
    except InvalidStandardNumber:
        pass
    # One standard, one identity (reward_tiers readings 1–2): counted once however many
    # Jiaxing organisations drafted it, whatever the spelling; each edition (a revision) is new.
    identity = standard_identity(code, activity.date.year)
    return target, f"standard:{identity.key}", code


def _pilot(activity: Activity) -> tuple[str, str, str]:
    # 承担国家级、省级标准化试点示范项目10个以上: a pilot is undertaken once approved, so it counts
    # whether or not it has passed acceptance; the same project recorded again (on acceptance) is one.
    fields = activity.fields
    project = fields.get("project")
    if project:
        return "pilots", f"pilot:{fields['pilot_level']}:{name_key(project)}", project
    return ("pilots", f"pilot:{fields['pilot_level']}:{activity.credit_code}:{activity.date.year}",
            f"{activity.organisation or activity.credit_code} {activity.date.year}")


def _award(activity: Activity) -> tuple[str, str, str]:
    # 争创国家、省级标准创新贡献奖5个以上: national and provincial awards; one prize for one project is
    # one award however many Jiaxing organisations share it; the organisation award once per round.
    fields = activity.fields
    level, project = award_level_of(fields), fields.get("project")
    if project:
        return "awards", f"award:{level}:{fields['award']}:{name_key(project)}", project
    return ("awards", f"award:{level}:{fields['award']}:{activity.credit_code}:{activity.date.year}",
            f"{activity.organisation or activity.credit_code} {activity.date.year}")


def _talent(activity: Activity) -> tuple[str, str, str]:
    # 培育国际标准化人才企业5家以上: enterprises (家), each counted once, at its first designation.
    return "talent", f"talent:{activity.credit_code}", activity.organisation or activity.credit_code


def _secretariat(activity: Activity) -> tuple[str, str, str]:
    # 争取承担国际、全国、省专业标准化技术委员会(分技术委员会)秘书处12家以上: each committee's
    # secretariat once, at any of the three levels.
    code = activity.fields["committee_code"]
    return "secretariats", f"committee:{code}", code


def _classify(activity: Activity) -> tuple[str, str, str] | None:
    kind = activity.kind
    if kind == STANDARD_DRAFTING:
        return _standard(activity)
    if kind == PILOT_PROJECT:
        return _pilot(activity)
    if kind == INNOVATION_AWARD:
        return _award(activity)
    if kind == TALENT_ENTERPRISE:
        return _talent(activity)
    if kind == TC_SECRETARIAT:
        return _secretariat(activity)
    return None


def count_items(activities: Iterable[Activity]) -> dict[str, list[Item]]:
    """Target → the achievements the activities record, each once, oldest first.

    Only achievements with at least one organisation of the city (credit code
    region 3304…) count: the targets are Jiaxing's.
    """
    found: dict[str, dict[str, Item]] = {target: {} for target in TARGETS}
    for activity in activities:
        classified = _classify(activity)
        if classified is None:
            continue
        target, key, subject = classified
        item = found[target].get(key)
        if item is None:
            item = found[target][key] = Item(target, key, subject)
        item.activities.append(activity)
    return {target: sorted((i for i in items.values() if i.counties), key=lambda i: (i.date, i.key))
            for target, items in found.items()}


def in_period(items: Iterable[Item], start: date, end: date, *, year: int | None = None,
              county: str | None = None) -> list[Item]:
    """The items new in the period (first recorded from ``start`` to ``end``), in ``year`` and ``county`` if given.

    新增: an achievement first recorded before the period is not new, even if
    recorded again inside it.
    """
    return [i for i in items
            if start <= i.date <= end
            and (year is None or i.date.year == year)
            and (county is None or county in i.counties)]
