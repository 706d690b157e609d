"""The versions a plugin can check: the distribution's and the hook API's.

``__version__`` is the installed ``stdpolicy`` distribution's version (one
number, from its metadata, so a wheel and an editable checkout agree).
``HOOK_API_VERSION`` is the version of the plugin contract — the hook
specifications and the objects they take and return — and changes on its
own scale: a minor step adds (a new optional hook, a new optional field), a
major step may break a plugin written for the previous one. A plugin declares
the range it was written for (``PluginDescription(api=">=1.0,<2")``); core
checks it at load time.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["HOOK_API_VERSION", "__version__"]

#: The plugin contract's version (``MAJOR.MINOR``); see the module docstring.
HOOK_API_VERSION = "1.0"

try:
    __version__: str = version("stdpolicy")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
