"""The pluggy markers of the ``stdpolicy`` project.

Plugins import them from the package root: ``from core import hookimpl``.
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name; every hook is prefixed ``stdpolicy_``.
PROJECT = "stdpolicy"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
