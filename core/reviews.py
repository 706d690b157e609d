"""The words of reviewing held outcomes (待核实), in both languages: review states and held reasons.

A held outcome is *pending* until a reviewer of the owning department
decides; then it is *approved* (paid its held amount) or *rejected* (not
paid). The reasons an outcome is held are stable codes in
``details["held_reasons"]`` (``core.Outcome.held_reasons``); the labels
here name them in filters and tables. A code a plugin adds that is not
listed reads as itself.
"""

from __future__ import annotations

from .text import Text

__all__ = ["HELD_REASONS", "PENDING", "REVIEW_STATES", "held_reason_label", "review_label"]

#: A held outcome without a decision in effect (待核实).
PENDING = "pending"

#: Each review state's label: pending, approved, rejected.
REVIEW_STATES: dict[str, Text] = {
    PENDING: Text("待核实", "pending review"),
    "approved": Text("已核准", "approved"),
    "rejected": Text("未核准", "rejected"),
}

#: The held reasons' labels (reward_tiers, issue #11).
HELD_REASONS: dict[str, Text] = {
    "rank_conflict": Text("排名冲突", "rank conflict"),
    "region": Text("注册地不在本市", "registered outside the city"),
    "brand_series": Text("品牌标准系列未知", "unknown brand series"),
    "revision_flag": Text("修订标识与登记簿不符", "revision flag contradicts the register"),
}


def review_label(state: str) -> Text:
    """The label of a review state; an unknown one as itself."""
    return REVIEW_STATES.get(state) or Text(state, state)


def held_reason_label(code: str) -> Text:
    """The label of a held reason's code; an unknown one as itself."""
    return HELD_REASONS.get(code) or Text(code, code)
