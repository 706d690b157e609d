"""reward_tiers' own reading of the shared activity kinds, as kind extensions.

The four kinds of 三(二) — standard drafting, TC/SC secretariats, the China
Standard Innovation Contribution Award, standardisation pilots — are core's
shared kinds (``core.kinds``): core checks what is true of a record whatever
policy reads it. What 三(二) itself makes of a record is checked here, on
every record of the kind, with the same messages as ever:

- an amendment of an existing standard (``ISO 9001:2015/Amd 1:2024``) is a
  revision: rewarded as one (the leading-drafter tiers exclude revisions);
- a pilot's granted amount may not exceed the cap of 三(二) in force on the
  activity's date (a parameter of this plugin);
- a prize of the China Standard Innovation Contribution Award is given to a
  project: the record names it (awards are per project and per round);
- an ITU-T study group is not a professional standardisation technical
  committee (专业标准化技术委员会): no secretariat subsidy is claimed for one.
"""

from __future__ import annotations

import re
from typing import Any

from core import (
    AWARD_NAMES,
    COMMITTEE_LEVEL_NAMES,
    INNOVATION_AWARD,
    PILOT_LEVEL_NAMES,
    PILOT_PROJECT,
    STANDARD_DRAFTING,
    TC_SECRETARIAT,
    KindExtension,
    committee_level_of,
    field_error,
    parse_standard_number,
    validation_parameters,
)

__all__ = [
    "AWARD_NAMES",
    "COMMITTEE_LEVEL_NAMES",
    "EXTENSIONS",
    "PILOT_LEVEL_NAMES",
    "amendment_is_revision",
    "award_names_project",
    "committee_level_of",
    "granted_within_cap",
    "no_study_group",
]


def amendment_is_revision(data: dict[str, Any]) -> None:
    """An amendment of an existing standard must be recorded as a revision (revision: true)."""
    code = data["standard_code"]
    if "/Amd" in code and not data.get("revision") and parse_standard_number(code).amendment:
        raise field_error(
            f"{code} 是对已有标准的修改单,应按修订登记(是否修订:是)",
            f"{code} amends an existing standard: record it as a revision (revision: true)",
            field="revision",
        )


def granted_within_cap(data: dict[str, Any]) -> None:
    """A pilot's granted amount may not exceed the cap in force on the activity's date."""
    granted = data.get("granted_amount")
    parameters = validation_parameters()
    if granted is None or parameters is None:
        return
    cap = parameters.value(f"reward_tiers.pilot_cap.{data['pilot_level']}", data["date"])
    if cap is not None and granted > cap.value:
        raise field_error(
            f"核定金额 {granted:,} 元超过该日有效的上限 {cap.value:,} 元",
            f"the granted amount ¥{granted:,} exceeds the cap ¥{cap.value:,} in force on that date",
            field="granted_amount",
        )


def award_names_project(data: dict[str, Any]) -> None:
    """A first, second or third prize is given to a project: the record names it.

    Without the project, two reports of one prize cannot be told from two
    prizes (the one-time rule compares organisation, prize and project). The
    organisation award (组织奖) is given to the organisation, once per round.
    """
    if data["award"] != "organization" and not (data.get("project") or "").strip():
        prize = AWARD_NAMES[data["award"]]
        raise field_error(
            f"中国标准创新贡献奖{prize.zh}按项目评选,请填写获奖项目名称",
            f"the {prize.en} of the China Standard Innovation Contribution Award is given to a project: give its name",
            field="project",
        )


def no_study_group(data: dict[str, Any]) -> None:
    """ITU-T study groups (SG) are not professional standardisation technical committees or sub-committees."""
    code = data["committee_code"]
    if code.startswith("ITU-") and re.search(r"[/ ]SG \d", code):
        raise field_error(
            f"{code} 是国际电信联盟(ITU)的研究组,不是专业标准化技术委员会或分技术委员会,不适用秘书处专项补助",
            f"{code} is an ITU study group, not a professional standardisation technical committee or "
            "sub-committee: no secretariat subsidy applies",
            field="committee_code",
        )


EXTENSIONS = [
    KindExtension(STANDARD_DRAFTING, validators=(amendment_is_revision,)),
    KindExtension(TC_SECRETARIAT, validators=(no_study_group,)),
    KindExtension(INNOVATION_AWARD, validators=(award_names_project,)),
    KindExtension(PILOT_PROJECT, validators=(granted_within_cap,)),
]
