"""What every reader returns: the records, where each was, and the one error of a file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..activities import Location
from ..screening import clipped

__all__ = ["InputError", "Records"]


class InputError(ValueError):
    """The input cannot be read as activity records at all (not JSON, not CSV).

    ``str(error)`` is the English; ``error.zh`` the Chinese.
    """

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en)
        self.zh = zh or en

    def get(self, lang: str) -> str:
        return str(self) if lang.lower().startswith("en") else self.zh

    @classmethod
    def unreadable(cls, path: str, error: OSError) -> InputError:
        """A file that cannot be opened: its name (clipped, printable) and the system's reason."""
        name, reason = clipped(path), error.strerror or type(error).__name__
        return cls(f"cannot read {name}: {reason}", f"无法读取 {name}:{reason}")


class Records(list):
    """Records read from a file, in order, and where each was.

    ``numbers[i]`` is the line (JSON Lines) or row (CSV, a sheet: the header
    is row 1) of record ``i``; without ``numbers`` the record's position is
    its number (a JSON array). ``sheets[i]`` names the workbook sheet.
    ``ActivityValidator.validate`` asks ``location(i)`` for invalid records.
    """

    def __init__(self, items: Iterable[Any] = (), *, unit: str = "row", numbers: list[int] | None = None,
                 sheets: list[str] | None = None) -> None:
        super().__init__(items)
        self.unit = unit
        self.numbers = numbers
        self.sheets = sheets

    def location(self, index: int) -> Location:
        number = self.numbers[index] if self.numbers is not None else index + 1
        return Location(number, self.unit, self.sheets[index] if self.sheets is not None else None)
