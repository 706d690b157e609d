"""What the register is asked for: the filter, and the kinds and plugins a department sees.

What a department sees is decided by the plugins it enabled: the activity
kinds those plugins declare, and the outcomes those plugins computed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ...registry import Registry

__all__ = ["PER_PAGE", "RegisterFilter", "Scope", "scope_of", "visible_kinds"]

#: Rows of a register page (a page of the admin; not a tuning threshold).
PER_PAGE = 50


@dataclass
class RegisterFilter:
    """What the register is narrowed to; an empty value does not narrow."""

    #: An organisation's name (part of it), a credit code (its start), a
    #: standard number or committee (part of it, in any usual spelling), or a
    #: record's own id (exactly).
    q: str = ""
    kind: str | None = None
    year: int | None = None
    #: A GB/T 2260 region code (``JIAXING_COUNTIES``).
    county: str | None = None
    plugin: str | None = None
    #: Only activities whose current amount is above zero.
    paid_only: bool = False
    #: Only activities with a current held outcome in this review state: ``pending`` (待核实),
    #: ``approved`` (已核准) or ``rejected`` (未核准) (``core.store.reviews``).
    review: str | None = None




@dataclass(frozen=True)
class Scope:
    """The kinds shown and the plugins whose outcomes count, for one request."""

    kinds: list[str]
    #: Plugins whose outcomes count.
    plugins: list[str]


def visible_kinds(registry: Registry, plugins: Collection[str]) -> list[str]:
    """The activity kinds ``plugins`` (those loaded) evaluate: each plugin's own kinds and the
    shared kinds it reads (``PluginRecord.evaluates``), once each, in the plugins' order."""
    return list(dict.fromkeys(k for name, record in registry.plugins.items() if name in plugins for k in record.evaluates))


def scope_of(registry: Registry, plugins: Collection[str], filt: RegisterFilter) -> Scope:
    names = [name for name in registry.plugins if name in plugins]
    if filt.plugin:
        names = [filt.plugin] if filt.plugin in names else []
    kinds = visible_kinds(registry, names)
    if filt.kind:
        kinds = [filt.kind] if filt.kind in kinds else []
    return Scope(kinds, names)
