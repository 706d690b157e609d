"""Outcomes: what a plugin decided about one activity, and why.

An outcome is the unit the register, the CLI and the API show: a rule id, an
exact amount in integer yuan, the policy clause, a bilingual explanation and
the parameter versions the rule read. Plugins create them; core stamps the
plugin name and version.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from .text import Text

if TYPE_CHECKING:
    from .activities import Activity
    from .refdata import ReferenceRead

__all__ = ["ERROR_RULE", "MAX_DEDUP_KEY", "Outcome", "ParamValue", "storable_key"]

#: The rule id of an outcome core makes when a plugin raised.
ERROR_RULE = "ERROR"

#: The longest ``dedup_key`` the database stores (``outcomes.dedup_key``).
MAX_DEDUP_KEY = 300


def storable_key(key: str) -> str:
    """``key`` as stored and looked up: unchanged up to ``MAX_DEDUP_KEY`` characters; a longer
    one (built from a long project name, say) as its first 200 and a SHA-256 of the whole."""
    if len(key) <= MAX_DEDUP_KEY:
        return key
    return key[:200] + "#sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ParamValue(NamedTuple):
    """A parameter value as read for an evaluation: which version, from when."""

    key: str
    value: Any
    effective_from: date
    #: The database id of the version; ``None`` for an unstored value
    #: (shipped defaults used from plain Python, or a what-if override).
    version_id: int | None
    #: ``stored``, ``shipped`` (a plugin's default, no database) or
    #: ``what-if`` (proposed, not recorded); explanations say which.
    origin: str = "stored"
    #: The version's number within its key (1, 2, 3 …): the number users see
    #: everywhere ("第2版", "version 2"); ``None`` when ``version_id`` is.
    sequence: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": _json_value(self.value),
            "effective_from": self.effective_from.isoformat(),
            "version_id": self.version_id,
            "sequence": self.sequence,
        }


def _json_value(value: Any) -> Any:
    # Decimal parameters travel as strings so no float ever appears.
    if isinstance(value, (int, str, bool, list)) or value is None:
        return value
    return str(value)


class Outcome:
    """One plugin's decision about one activity.

    ``amount`` is integer yuan (``0`` when nothing is due, and the
    explanation says why). The explanation is ``subject`` (what the activity
    is, e.g. ``national standard GB/T 1-2023 (rank 1)``, optional) followed by
    ``explanation`` (the rule, the amount, the parameter version). ``dedup_key`` marks a one-time reward (the same
    organisation and standard, the same organisation and committee): core
    uses it to find what was already paid. ``details`` holds machine-readable
    facts for the register (``reason`` of a zero amount, ``paid_with`` of a
    repeat, ``upper_bound`` of a cap).

    The optional arguments may be given by position, in this order: a rules
    loop creating 100,000 outcomes spends less that way (CPython matches
    keyword arguments slowly, ~0.4 µs an outcome here).
    """

    __slots__ = (
        "activity",
        "rule",
        "amount",
        "clause",
        "subject",
        "reason",
        "parameters",
        "status",
        "dedup_key",
        "details",
        "plugin",
        "plugin_version",
        "references",
    )

    def __init__(
        self,
        activity: Activity,
        rule: str,
        amount: int,
        clause: str,
        explanation: Text | tuple[str, str],
        parameters: tuple[ParamValue, ...] = (),
        dedup_key: str | None = None,
        details: dict[str, Any] | None = None,
        subject: tuple[str, str] = ("", ""),
        status: str = "ok",
        references: tuple[Any, ...] = (),
    ) -> None:
        if type(amount) is not int:  # bool and float are refused: money is integer yuan
            raise TypeError(f"outcome amount must be int yuan, got {type(amount).__name__}")
        self.activity = activity
        self.rule = rule
        self.amount = amount
        self.clause = clause
        # Kept as the (zh, en) pairs given and joined when read: a batch makes
        # 100,000 outcomes and most explanations are read later, if at all.
        self.subject = subject
        self.reason = explanation
        self.parameters = parameters
        self.status = status
        self.dedup_key = dedup_key if dedup_key is None or len(dedup_key) <= MAX_DEDUP_KEY else storable_key(dedup_key)
        self.details = details
        self.plugin: str | None = None
        self.plugin_version: str | None = None
        # A snapshot (or version) stands for its read: (key, version, effective date, source).
        self.references: tuple[ReferenceRead, ...] = (
            tuple(getattr(r, "read", r) for r in references) if references else ()
        )

    @property
    def explanation_zh(self) -> str:
        return self.subject[0] + self.reason[0]

    @property
    def explanation_en(self) -> str:
        return self.subject[1] + self.reason[1]

    @property
    def explanation(self) -> Text:
        """The explanation in Chinese and English (``subject`` + the reason)."""
        return Text(self.subject[0] + self.reason[0], self.subject[1] + self.reason[1])

    def to_json(self) -> dict[str, Any]:
        """The outcome in the interchange format of ``stdpolicy evaluate``."""
        data: dict[str, Any] = {
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "rule": self.rule,
            "amount": self.amount,
            "clause": self.clause,
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "parameters": [p.to_json() for p in self.parameters],
        }
        if self.references:
            data["references"] = [r.to_json() for r in self.references]
        if self.status != "ok":
            data["status"] = self.status
        if self.details:
            data["details"] = self.details
        return data

    def __repr__(self) -> str:
        return f"<Outcome {self.plugin}:{self.rule} {self.amount} for {self.activity.ref!r}>"
