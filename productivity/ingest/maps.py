"""Column-map TOML files: how a system export's headers and codes map onto a canonical format.

Example (``data/maps/cerner.toml``)::

    kind = "theatre"
    [columns]                       # canonical column = the export's header (or a list of them)
    anaesthetic_start = ["B1 Anaes Start", "B1"]
    [constants]                     # a column the export does not have, the same for every row
    trust_code = "RBL"
    [values.priority]               # the export's codes -> canonical values
    "Elective Inpatient" = "elective"
    [options]
    sessions_file = "scanner_sessions.csv"   # relative to the map file

Everything is optional; headers and codes are matched case- and punctuation-insensitively.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from productivity.errors import InputError


@dataclass(frozen=True)
class ColumnMap:
    path: Path | None = None
    kind: str | None = None
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def option_path(self, key: str) -> Path | None:
        """A file named in ``[options]``, relative to the map file and inside its folder.

        A map may come from an upload, so its paths are confined: an absolute path, or one
        that leaves the map's folder (``..``, or a link out of it), is refused whether or not
        the file exists, so the answer never says what exists elsewhere.

        Raises:
            InputError: the path leaves the map's folder.
        """
        value = self.options.get(key)
        if not value:
            return None
        folder = (self.path.parent if self.path is not None else Path.cwd()).resolve()
        path = Path(str(value))
        resolved = (folder / path).resolve()
        if path.is_absolute() or not resolved.is_relative_to(folder):
            raise InputError.single(
                self.path.name if self.path else "column map",
                f"[options] {key} must name a file in the map's own folder (a name such as "
                "'sessions.csv', not an absolute path or one that leaves the folder)",
                column=key,
            )
        return resolved

    def check(self, known: Iterable[str]) -> None:
        """Refuse a map that names columns the format does not have.

        Raises:
            InputError: naming the map file and the unknown column.
        """
        known = set(known)
        name = self.path.name if self.path else "column map"
        for section in ("columns", "constants", "values"):
            for column in getattr(self, section):
                if column not in known:
                    raise InputError.single(
                        name,
                        f"[{section}] names unknown column {column!r}: expected one of "
                        + ", ".join(sorted(known)),
                        column=column,
                    )


def load_map(path: Path | None) -> ColumnMap:
    """Read a column-map TOML file (``None`` gives an empty map).

    Raises:
        InputError: the file is missing or is not a valid map.
    """
    if path is None:
        return ColumnMap()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.single(path.name, "column-map file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(path.name, f"column map is not valid TOML: {exc}") from None

    def table(key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise InputError.single(path.name, f"[{key}] must be a table")
        return value

    columns: dict[str, tuple[str, ...]] = {}
    for canonical, source in table("columns").items():
        names = [source] if isinstance(source, str) else source
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError.single(
                path.name,
                "[columns] values must be a header or a list of headers",
                column=canonical,
            )
        columns[canonical] = tuple(names)
    values: dict[str, dict[str, str]] = {}
    for canonical, codes in table("values").items():
        if not isinstance(codes, dict):
            raise InputError.single(
                path.name, "[values.<column>] must be a table", column=canonical
            )
        values[canonical] = {str(k): str(v) for k, v in codes.items()}
    kind = raw.get("kind")
    return ColumnMap(
        path=path,
        kind=str(kind) if kind else None,
        columns=columns,
        constants={k: str(v) for k, v in table("constants").items()},
        values=values,
        options=table("options"),
    )
