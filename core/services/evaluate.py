"""Evaluating records without storing them: ``stdpolicy evaluate``, ``POST /api/evaluate``, plain Python.

One function, one result: the command line prints an ``Evaluation``
(``write_json``, or its table), the JSON API answers with the same
``write_json`` — so the API's body is the command's output byte for byte.
Nothing is stored and no lock is taken: a read-only database will do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from ..activities import Activity, InvalidRecord, Reported, ValidationReport
from ..evaluation import EvaluationContext, EvaluationResult
from ..interchange import results_document, write_results
from ..interchange.output import write_result_lines
from ..models import Department
from ..outcomes import Outcome
from ..parameters import ParameterResolver
from ..registry import Registry
from ..store import evaluation_context
from ..streaming import Source, StreamedEvaluation, evaluate_stream

__all__ = ["Evaluation", "evaluate_records", "evaluate_streamed"]


@dataclass(frozen=True)
class Evaluation(Reported):
    """What evaluating some records gave: every record's validation and the valid ones' outcomes."""

    report: ValidationReport
    result: EvaluationResult
    #: The plugins that evaluated (``None``: every loaded plugin).
    plugins: list[str] | None = None

    @property
    def items(self) -> list[Activity | InvalidRecord]:
        """Every record, valid or not, in input order."""
        return self.report.items

    @property
    def total_amount(self) -> int:
        """Integer yuan over every outcome."""
        return self.result.total_amount

    @property
    def failures(self) -> dict[str, str]:
        """Plugins that raised during the evaluation: name → error."""
        return self.result.failures

    def outcomes(self, activity: Activity) -> list[Outcome]:
        """One activity's outcomes, in the order the plugins gave them."""
        return self.result.for_activity(activity)

    def document(self) -> dict[str, Any]:
        """The result document as one dict (``{"results": [...], "total_amount", "invalid"}``)."""
        return results_document(self.report, self.result)

    def write_json(self, out: IO[str]) -> None:
        """Write the result document, streamed: what ``stdpolicy evaluate`` prints and the API answers."""
        write_results(self.report, self.result, out)

    def write_lines(self, out: IO[str]) -> None:
        """Write the results as JSON Lines (``stdpolicy evaluate --format jsonl``): each result as in the
        document, one a line, then ``{"total_amount", "held_amount", "invalid"}``."""
        write_result_lines(self.report, self.result, out)


def evaluate_records(
    registry: Registry,
    records: Iterable[Any],
    *,
    department: Department | None = None,
    parameters: ParameterResolver | None = None,
    workers: int = 1,
    lap: Callable[[str], None] | None = None,
) -> Evaluation:
    """Validate ``records`` (interchange records) and evaluate the valid ones; store nothing.

    :param department: evaluate with the plugins it has enabled (and
        permitted); ``None``: every loaded plugin.
    :param parameters: the values to evaluate with; default: as stored in
        the database. (Without a database, ``registry.validate`` and
        ``registry.evaluate`` take the shipped values.)
    :param workers: processes that validate a large input (``core.parallel``);
        a web server keeps 1.
    :param lap: called with ``"validate"``, then ``"evaluate"``, as each step
        ends (``stdpolicy evaluate --timings``).

    Invalid records are reported in ``Evaluation.invalid`` and the valid
    ones are evaluated all the same.
    """
    context, plugins = evaluation_context(registry, department)
    if parameters is not None:
        context = EvaluationContext(parameters=parameters, history=context.history, department=context.department,
                                    references=context.references)
    report = registry.validate(records, context.parameters, references=context.references, workers=workers)
    if lap is not None:
        lap("validate")
    result = registry.evaluate(report.valid, context, plugins=plugins)
    if lap is not None:
        lap("evaluate")
    return Evaluation(report, result, plugins)


def evaluate_streamed(
    registry: Registry,
    source: Source,
    out: IO[str],
    *,
    department: Department | None = None,
    parameters: ParameterResolver | None = None,
    parts: int = 1,
    fmt: str = "json",
    lap: Callable[..., None] | None = None,
) -> StreamedEvaluation:
    """``evaluate_records`` and ``Evaluation.write_json`` in bounded memory (``core.streaming``): the same bytes.

    The records of ``source`` are validated and spilled to temporary files,
    evaluated ``parts`` groups of evaluation groups at a time, and their
    results written to ``out`` in input order; ``fmt="jsonl"`` writes one
    result per line and a last line with the totals. Raises ``InputError``
    (nothing written) when the input cannot be read.
    """
    context, plugins = evaluation_context(registry, department)
    if parameters is not None:
        context = EvaluationContext(parameters=parameters, history=context.history, department=context.department,
                                    references=context.references)
    return evaluate_stream(registry, source, out, context, plugins=plugins, parts=parts, fmt=fmt, lap=lap)
