"""Typed input errors that name the file, row and column of every problem.

The CLI maps :class:`InputError` to exit code 2; pages show its problems as a table.
Imports nothing from the rest of the package, so every layer can raise it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MAX_PROBLEMS = 50  # per file: enough to fix a file in one pass, small enough to read


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    ``row`` counts as a spreadsheet user does: the header is row 1 (or wherever it was found),
    so the first data row of a plain CSV is row 2. ``None`` means the problem is file-wide.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.message}{value}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class InputError(ValueError):
    """Bad input: carries every located problem found (up to :data:`MAX_PROBLEMS`)."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = problems[:MAX_PROBLEMS]
        lines = [str(p) for p in self.problems]
        more = len(problems) - len(self.problems)
        if more > 0:
            lines.append(f"... and {more} more problems")
        super().__init__("\n".join(lines))

    @classmethod
    def single(
        cls,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> InputError:
        shown = None if value is None else str(value)
        return cls([Problem(file, row, column, shown, message)])
