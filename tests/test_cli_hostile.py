"""Every command of ``stdpolicy`` survives hostile arguments: a clear error or a result, never a traceback.

The demo instance (``init --demo``, every built-in plugin). Each command of
the full group (core's, the admin's, the plugins'), each of its arguments
and options given, one at a time, what a terminal or a paste can send: bytes
that are not UTF-8 (a GBK name), a 5,000-digit number, a date as Excel writes
it, full-width digits, markup, nothing, ``-1``. The development server, the
shell and the migration commands (Flask-Migrate's own) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask

from core.testing import builtin_plugins

pytestmark = pytest.mark.stdpolicy_plugins(*builtin_plugins())

#: Bytes 0xFF and "张" in GBK as Python's argv holds them; then what a clerk or an attacker types.
_HOSTILE = ["\udcff", "\udcd5\udcc5", "9" * 5000, "2024/8/4", "１２３", "<b>x</b>", "", "-1"]
_LEFT_OUT = {"run", "shell", "routes", "db", "limiter"}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if not path and name in _LEFT_OUT:
            continue
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_survives_hostile_arguments(stdpolicy_app: Flask, stdpolicy_runner: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # `users activate` (and every command that looks a name up) answered a UnicodeEncodeError traceback
    # for a GBK name; files a command writes land in tmp_path.
    from webadmin.commands import main

    assert stdpolicy_runner.invoke(args=["init", "--demo"]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    everything = click.Group(commands={**main.commands, **stdpolicy_app.cli.commands})
    crashed: list[tuple[list[str], str]] = []
    runs = 0
    for path, command in _commands(everything):
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        options = [p for p in command.params if isinstance(p, click.Option) and not p.is_flag and p.name != "help"]
        plain = ["x"] * len(arguments)
        lines = [plain[:i] + [hostile] + plain[i + 1:] for i in range(len(arguments)) for hostile in _HOSTILE]
        lines += [[*plain, option.opts[0], hostile] for option in options for hostile in _HOSTILE]
        for line in lines:
            result = stdpolicy_runner.invoke(main, args=[*path, *line], input="n\n")
            runs += 1
            if (result.exception is not None and not isinstance(result.exception, SystemExit)) \
                    or "Traceback" in result.output:
                crashed.append(([*path, *(a[:12] for a in line)], repr(result.exception)[:200]))
    assert runs > 500
    assert not crashed
