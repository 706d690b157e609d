"""``stdpolicy plugin new NAME [--path DIR]``: write a new plugin package to start from.

It needs no database: the scaffold (``core.scaffold``) only writes files.
The names of the installed plugins are read from the entry points, so a new
plugin cannot take one of theirs.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from ..registry import ENTRY_POINT_GROUP
from ..scaffold import PluginNameError, new_plugin

__all__ = ["plugin_group"]


@click.group("plugin")
def plugin_group() -> None:
    """Writing plugins: `stdpolicy plugin new NAME` starts one (docs/plugins/)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--path", "path", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Folder in which to write the package folder stdpolicy-NAME.")
@click.option("--label-zh", metavar="TEXT", help="The plugin's name in Chinese (default: NAME插件).")
@click.option("--label-en", metavar="TEXT", help="The plugin's name in English.")
@click.option("--clause", metavar="TEXT", default="二(八)3", show_default=True,
              help="The policy clause the example rule cites.")
def new_command(name: str, path: Path, label_zh: str | None, label_en: str | None, clause: str) -> None:
    """Write stdpolicy-NAME, a complete installable plugin package whose tests pass as written.

    It holds the entry point, an activity kind, dated parameters citing
    their clause, rules with bilingual explanations, an admin page, policy
    cases and tests on stdpolicy's test kit. Nothing is overwritten: the
    package folder must not exist or must be empty.
    """
    taken = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    try:
        target = new_plugin(name, path, label_zh=label_zh, label_en=label_en, clause=clause, taken=taken)
    except PluginNameError as exc:
        click.echo(f"error: {exc}; nothing was written", err=True)
        sys.exit(2)
    except FileExistsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    click.echo(f"wrote {target} ({len(files)} files):")
    for name_ in files:
        click.echo(f"  {name_}")
    click.echo("next:")
    click.echo(f"  cd {target}")
    click.echo("  pip install -e '.[test]'   # next to stdpolicy")
    click.echo("  pytest                     # its tests pass as written")
    click.echo("  stdpolicy init             # stores its parameters")
    click.echo(f"  stdpolicy permit {name} --department market_regulation")
    click.echo(f"  stdpolicy enable {name} --department market_regulation")
