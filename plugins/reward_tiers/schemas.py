"""reward_tiers' own reading of the shared activity kinds, as kind extensions.

The four kinds of 三(二) — standard drafting, TC/SC secretariats, the China
Standard Innovation Contribution Award, standardisation pilots — are core's
shared kinds (``core.kinds``): core checks what is true of a record whatever
policy reads it. What 三(二) itself makes of a record is checked here, on
every record of the kind, with the same messages as ever:

- an amendment of an existing standard (``ISO 9001:2015/Amd 1:2024``) is a
  revision: rewarded as one (the leading-drafter tiers exclude revisions);
- a pilot's granted amount may not exceed the cap of 三(二) in force on the
  activity's date (a parameter of this plugin).
"""

from __future__ import annotations

from typing import Any

from core import (
    AWARD_NAMES,
    COMMITTEE_LEVEL_NAMES,
    PILOT_LEVEL_NAMES,
    PILOT_PROJECT,
    STANDARD_DRAFTING,
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
    "committee_level_of",
    "granted_within_cap",
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


EXTENSIONS = [
    KindExtension(STANDARD_DRAFTING, validators=(amendment_is_revision,)),
    KindExtension(PILOT_PROJECT, validators=(granted_within_cap,)),
]
