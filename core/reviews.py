"""The words of reviewing held outcomes (待核实), in both languages: review states and held reasons.

A held outcome is *pending* until a reviewer of the owning department
decides; then it is *approved* (paid its held amount) or *rejected* (not
paid). The reasons an outcome is held are stable codes in
``details["held_reasons"]`` (``core.Outcome.held_reasons``); each plugin
names its own in ``PluginDescription.held_reasons`` (``Registry.held_reasons``
gathers them), and filters and tables label them so. A code no plugin
declares reads as itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from .text import Text

__all__ = ["PENDING", "REVIEW_STATES", "held_reason_label", "review_label"]

#: A held outcome without a decision in effect (待核实).
PENDING = "pending"

#: Each review state's label: pending, approved, rejected.
REVIEW_STATES: dict[str, Text] = {
    PENDING: Text("待核实", "pending review"),
    "approved": Text("已核准", "approved"),
    "rejected": Text("未核准", "rejected"),
}

def review_label(state: str) -> Text:
    """The label of a review state; an unknown one as itself."""
    return REVIEW_STATES.get(state) or Text(state, state)


def held_reason_label(code: str, reasons: Mapping[str, Text]) -> Text:
    """The label of a held reason's code among ``reasons`` (``Registry.held_reasons``: what the plugins declare);
    an unknown one as itself."""
    return reasons.get(code) or Text(code, code)
