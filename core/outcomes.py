"""Outcomes: what a plugin decided about one activity, and why.

An outcome is the unit the register, the CLI and the API show: a rule id, an
exact amount in integer yuan, the policy clause, a bilingual explanation and
the parameter versions the rule read. Plugins create them; core stamps the
plugin name and version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from .jsontext import json_problem
from .text import Text

if TYPE_CHECKING:
    from .activities import Activity
    from .refdata import ReferenceRead

__all__ = ["ERROR_RULE", "MAX_DEDUP_KEY", "STATUS_LABELS", "Outcome", "OutcomeStatus", "ParamValue", "status_label",
           "storable_key"]

#: The rule id of an outcome core makes when a plugin raised.
ERROR_RULE = "ERROR"

#: The longest ``dedup_key`` the database stores (``outcomes.dedup_key``).
MAX_DEDUP_KEY = 300


class OutcomeStatus(StrEnum):
    """What kind of decision an outcome is; stored with it (``outcomes.status``).

    A ``str``, so ``outcome.status == "tracking"`` and the stored text agree.
    Only ``OK`` outcomes are money decisions in the usual sense; the others
    carry amount 0 unless a plugin says otherwise, and the register shows
    their label beside the rule.
    """

    #: Decided: the amount is due (or 0, and the explanation says why).
    OK = "ok"
    #: No rule of the plugin covers the activity (amount 0, the reason in the explanation).
    NOT_COVERED = "not_covered"
    #: The plugin raised on this activity; core made the outcome (rule ``ERROR``).
    ERROR = "error"
    #: Recorded for follow-up, no money (a carbon figure, a listed service).
    TRACKING = "tracking"
    #: Checked against a requirement and met it.
    COMPLIANT = "compliant"
    #: Checked against a requirement and missed it.
    NON_COMPLIANT = "non_compliant"
    #: Held for review (待核实): nothing is due until a reviewer decides. The
    #: outcome's ``amount`` is 0; ``details["held_amount"]`` is what it would
    #: pay and ``details["held_reasons"]`` why it is held (``held_amount``, ``held_reasons``).
    HELD = "held"


#: Each status's label, Chinese and English, wherever outcomes are shown.
STATUS_LABELS: dict[str, Text] = {
    OutcomeStatus.OK: Text("已认定", "decided"),
    OutcomeStatus.NOT_COVERED: Text("不在政策范围内", "not covered"),
    OutcomeStatus.ERROR: Text("评估出错", "error"),
    OutcomeStatus.TRACKING: Text("跟踪登记", "tracking"),
    OutcomeStatus.COMPLIANT: Text("达标", "compliant"),
    OutcomeStatus.NON_COMPLIANT: Text("未达标", "non-compliant"),
    OutcomeStatus.HELD: Text("待核实", "held for review"),
}


_STATUSES = frozenset(s.value for s in OutcomeStatus)


def status_label(status: str) -> Text:
    """The label of ``status``; an unknown one (from an old plugin) as itself in both languages."""
    return STATUS_LABELS.get(status) or Text(status, status)


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
    if isinstance(value, tuple):  # a string_list parameter's value
        return list(value)
    return str(value)


#: JSON as ``json`` writes it, with no question to ask: no float (NaN), no subclass, nothing else.
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _is_pair(pair: Any) -> bool:
    """Whether ``pair`` is (Chinese, English): two texts in a ``Text``, a tuple or — as before the check — a list."""
    return isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], str)


def _plain_json(value: dict[Any, Any] | list[Any]) -> bool:
    """Whether ``value`` holds only dicts with text keys, lists and ``_PLAIN_SCALARS``: JSON as it is, told
    faster than by encoding it. ``False`` says only that ``json_problem`` must decide."""
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind not in _PLAIN_SCALARS and (kind is not dict and kind is not list or not _plain_json(item)):
                return False
        return True
    for item in value:
        kind = type(item)
        if kind not in _PLAIN_SCALARS and (kind is not dict and kind is not list or not _plain_json(item)):
            return False
    return True


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

    @classmethod
    def make(
        cls,
        activity: Activity,
        *,
        rule: str,
        clause: str,
        explanation: Text,
        amount: int = 0,
        status: str = OutcomeStatus.OK,
        parameters: Iterable[ParamValue] = (),
        subject: Text | None = None,
        dedup_key: str | None = None,
        details: dict[str, Any] | None = None,
        references: Iterable[Any] = (),
    ) -> Outcome:
        """An outcome by keyword, checked: the readable way to make one.

        ``Outcome.make(activity, rule="C1", clause="三(六)", explanation=Text(…), status="tracking")``.
        ``status`` must be one of ``OutcomeStatus`` (a ``ValueError`` names
        the known ones); ``explanation`` (and ``subject``, the words that
        say what the activity is and come first) must be a ``Text`` with
        both languages. ``references`` are the reference-data snapshots the
        decision read (``context.reference(key, on)``): the outcome records
        their versions. Rules loops over 100,000 activities may prefer the
        positional constructor, which checks less and is faster; core checks
        every outcome a plugin returns all the same (``problem``).
        """
        try:
            status = OutcomeStatus(status)
        except ValueError:
            known = ", ".join(s.value for s in OutcomeStatus)
            raise ValueError(f"outcome status {status!r} is not one of: {known}") from None
        if status is OutcomeStatus.HELD and amount != 0:
            # Nothing is due until a reviewer decides: sums of amounts stay sums of money due.
            raise ValueError("a held outcome carries amount 0; what it would pay goes in details['held_amount'] "
                             "and why it is held in details['held_reasons']")
        if not isinstance(explanation, Text) or not explanation.zh or not explanation.en:
            raise TypeError(f"outcome explanation must be a Text with Chinese and English, got {explanation!r}")
        if subject is not None and not isinstance(subject, Text):
            raise TypeError(f"outcome subject must be a Text, got {subject!r}")
        values = tuple(parameters)
        for value in values:
            if not isinstance(value, ParamValue):
                raise TypeError(f"outcome parameters must be the ParamValue read from context.parameters, got {value!r}")
        read = tuple(references)
        for reference in read:
            if not hasattr(reference, "read") and not hasattr(reference, "to_json"):
                raise TypeError(f"outcome references must be the snapshots read from context.reference, got {reference!r}")
        return cls(activity, rule, amount, clause, explanation, values, dedup_key, details,
                   (subject.zh, subject.en) if subject is not None else ("", ""), status.value, read)

    @property
    def held_amount(self) -> int:
        """What a held outcome would pay once approved (0 for any other status)."""
        if self.status != "held" or not self.details:
            return 0
        return int(self.details.get("held_amount", 0))

    @property
    def held_reasons(self) -> list[dict[str, Any]]:
        """Why a held outcome is held: ``{"code", "zh", "en"}`` and, where there is one, ``"other"`` (the other party)."""
        if self.status != "held" or not self.details:
            return []
        return list(self.details.get("held_reasons", []))

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

    def problem(self) -> str | None:
        """What makes this outcome unfit to store or write, in words (``None``: nothing).

        The positional constructor checks only the amount (rules loops make
        100,000 outcomes); core asks this of every outcome a plugin returns
        (``core.registry``), so that a plugin's slip fails only its own
        activities — not the import, the document or the page that shows it.
        """
        rule, clause, status, details = self.rule, self.clause, self.status, self.details
        if not isinstance(rule, str) or not rule:
            return f"its rule must be a non-empty text, got {rule!r}"
        if not isinstance(clause, str):
            return f"its clause must be a text, got {clause!r}"
        if not isinstance(status, str) or status not in _STATUSES:
            return f"its status {status!r} is not one of: {', '.join(s.value for s in OutcomeStatus)}"
        if not _is_pair(self.reason):
            return f"its explanation must be a Text (Chinese, English), got {self.reason!r}"
        if not _is_pair(self.subject):
            return f"its subject must be a Text (Chinese, English), got {self.subject!r}"
        if self.dedup_key is not None and not isinstance(self.dedup_key, str):
            return f"its dedup_key must be a text or None, got {self.dedup_key!r}"
        for value in self.parameters:
            if type(value) is not ParamValue:
                return f"its parameters must be the ParamValue read from context.parameters, got {value!r}"
        for read in self.references:
            if not callable(getattr(read, "to_json", None)):
                return f"its references must be the snapshots read from context.reference, got {read!r}"
        if details is not None:
            if not isinstance(details, dict):
                return f"its details must be a dict, got a {type(details).__name__}"
            problem = None if _plain_json(details) else json_problem(details)
            if problem is not None:
                return f"its details are not JSON: {problem}"
        if status == "held":
            if self.amount:
                return f"a held outcome carries amount 0 (what it would pay goes in details['held_amount']), got {self.amount}"
            held = (details or {}).get("held_amount", 0)
            if type(held) is not int:
                return f"details['held_amount'] of a held outcome must be int yuan, got {held!r}"
        return None

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
