"""Safe YAML for the declaration files core and the plugins ship, parsed by libyaml.

Every start-up (``stdpolicy evaluate`` included) reads the plugins'
parameter and reference-data files: with PyYAML's pure-Python parser that
was about a fifth of a second, with libyaml's (``CSafeLoader``) a tenth of
that, for the same values (tests/test_startup.py compares both on every
shipped file). PyYAML built without libyaml falls back to its Python
parser: slower, same result.

``DatedLoader`` keeps an impossible date (``2022-13-01``) a string, so the
error names the parameter or version instead of escaping from the parser.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["DatedLoader", "SafeLoader", "load_dated"]

#: The safe loader in C when PyYAML was built with libyaml, else the Python one (same results).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DatedLoader(SafeLoader):  # type: ignore[valid-type, misc]
    """Safe YAML in which an impossible date stays a string (the error then names what holds it)."""


def _timestamp_or_text(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


DatedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def load_dated(text: str) -> Any:
    """``text`` as safe YAML, impossible dates kept as strings."""
    return yaml.load(text, Loader=DatedLoader)  # noqa: S506 - DatedLoader is a SafeLoader
