"""Reading a file into a :class:`~productivity.ingest.tabular.Table`, refusing what is unsafe.

Every importer reads through here, so every kind gets the same protections: a size limit on the
file and on what a zip expands to (checked against the declared size and again while streaming),
the text encoding told from its byte-order mark (UTF-8, UTF-16, UTF-32) or refused when it cannot
be, the delimiter sniffed and a decimal comma (``1,5`` with ``;`` delimiters) read as a decimal
point, a row with too few or too many fields located, duplicated or over-long headers refused,
and a file with a header but no data rows refused. Workbooks are read by
:mod:`productivity.ingest.excel`. Imports only the stdlib, pandas and the Excel readers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from productivity.errors import InputError
from productivity.ingest.excel import read_sheets, rows_table
from productivity.ingest.tabular import (
    ProblemLog,
    Table,
    check_headers,
    check_size,
    drop_blank_rows,
    require_rows,
)

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*CSV_SUFFIXES, *EXCEL_SUFFIXES, ".zip")
CHUNK = 1 << 20  # bytes read at a time while streaming a zip member
# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A ";"-delimited file is the European CSV dialect, whose numbers use a decimal comma:
# "1,5" and "1.234,5". A value such as "1,500" could be either, so it is read as a decimal
# only when another cell of the same column settles that the column uses decimal commas.
_DECIMAL_COMMA = r"-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+"
_THOUSANDS_LIKE = r"-?[1-9]\d{0,2}(?:,\d{3})+"


# --- text ----------------------------------------------------------------------------------------


def decode(data: bytes, file: str = "the file") -> str:
    """Text of a CSV: by its byte-order mark (UTF-8, UTF-16, UTF-32); else UTF-8, Windows-1252,
    Latin-1 in turn. UTF-16 without a mark is recognised by its zero bytes.

    Raises:
        InputError: the text holds NUL characters (a binary file, or an encoding not told
            apart), naming the first row that does.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return _no_nul(data[len(bom) :].decode(encoding), file)
            except UnicodeDecodeError as exc:
                raise InputError.single(
                    file, f"the file says it is {encoding.upper()} but is not ({exc.reason})"
                ) from None
    sample = data[:4096]
    if sample and sample.count(0) * 4 >= len(sample):  # text in UTF-16 is half zero bytes
        odd_zeros = sample[1::2].count(0) >= sample[0::2].count(0)
        encoding = "utf-16-le" if odd_zeros else "utf-16-be"
        try:
            return _no_nul(data.decode(encoding), file)
        except (UnicodeDecodeError, InputError):
            raise InputError.single(
                file,
                "the file is not text (it holds many zero bytes): expected a CSV saved as "
                "UTF-8 (Excel: 'CSV UTF-8'), or as UTF-16 with a byte-order mark",
            ) from None
    for encoding in ("utf-8", "cp1252"):
        try:
            return _no_nul(data.decode(encoding), file)
        except UnicodeDecodeError:
            continue
    return _no_nul(data.decode("latin-1"), file)


def _no_nul(text: str, file: str) -> str:
    at = text.find("\x00")
    if at < 0:
        return text
    raise InputError.single(
        file,
        "the text holds a NUL character: expected a CSV saved as text (UTF-8 or Windows-1252), "
        "not a binary file or a mixed encoding",
        row=text.count("\n", 0, at) + 1,
    )


def sniff_delimiter(text: str) -> str:
    """``,`` unless the header line holds more of ``;``, tab or ``|``."""
    end = text.find("\n")  # not split: that would copy the whole text
    first = text if end < 0 else text[:end]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def field_counts(
    text: str, sep: str, file: str = "the file", encoded: bytes | None = None
) -> pd.Series:
    """Fields on each record (0 for a blank line), indexed by record number from 1.

    ``encoded`` is ``text`` as UTF-8 when the caller has it already (a big file is not encoded
    twice).

    Without quotes a record is a line, so the separators are counted on all lines at once;
    with quotes (a field may then hold a separator or a line break) the csv module decides.

    Raises:
        InputError: the quoting cannot be read (or a quoted field is over the csv module's
            131,072-character limit), naming the line.
    """
    if '"' not in text and "\r" not in text:
        raw = np.frombuffer(text.encode("utf-8") if encoded is None else encoded, np.uint8)
        ends_line = len(raw) > 0 and raw[-1] == ord("\n")
        counts = pd.Series(_line_field_counts(raw[:-1] if ends_line else raw, sep))
    elif '"' not in text:
        lines = pd.Series(re.split(r"\r\n|\r|\n", text.removesuffix("\n").removesuffix("\r")))
        counts = lines.str.count(re.escape(sep)) + 1
        counts[lines == ""] = 0
    else:
        # newline="": the csv module reads \r, \n and \r\n line ends itself (a lone CR too).
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        try:
            counts = pd.Series([len(r) for r in reader])
        except csv.Error as exc:
            raise InputError.single(
                file,
                f"the CSV cannot be read ({exc}): expected quotes in pairs around a field",
                row=reader.line_num,
            ) from None
    counts.index = pd.RangeIndex(1, len(counts) + 1)
    return counts.astype("int64")


def _line_field_counts(raw: np.ndarray, sep: str) -> np.ndarray:
    """Fields on each ``\\n``-separated line (0 for an empty one), counted on the UTF-8 bytes
    (``raw``, without a final line end) at once: a separator and a line end are single ASCII
    bytes, never part of a longer character."""
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(raw)]))
    seps = np.flatnonzero(raw == ord(sep))
    counts = np.searchsorted(seps, ends) - np.searchsorted(seps, starts) + 1
    counts[ends == starts] = 0
    return counts


def csv_table(text: str, file: str, data: bytes | None = None) -> Table:
    """Parse CSV text (header on row 1) into a :class:`Table`. ``data``: the bytes ``text`` was
    decoded from, used as its UTF-8 when they are plain ASCII (no second encoding of a big file).

    Raises:
        InputError: empty, a header but no rows, rows with too few or too many fields, or a
            duplicated or over-long header.
    """
    if not text.strip():
        raise InputError.single(file, "the file is empty: expected a header row and data rows")
    sep = sniff_delimiter(text)
    # ASCII bytes of the same length are the text's UTF-8 (UTF-16 is twice as long).
    plain = data is not None and len(data) == len(text) and data.isascii()
    encoded = data if plain and data is not None else text.encode("utf-8")
    counts = field_counts(text, sep, file, encoded)
    log = ProblemLog(file)
    width = int(counts.iloc[0])
    if width == 0:
        raise InputError.single(
            file, "the first row is empty: expected the column names on row 1", row=1
        )
    rows = counts.iloc[1:]
    log.add_mask(
        (rows > 0) & (rows < width),
        None,
        None,
        lambda row: (
            f"the CSV cannot be read here: the row has {rows[row]} of {width} fields: expected "
            "one value per column (a missing delimiter, or a half-written last line)"
        ),
    )
    log.add_mask(
        rows > width,
        None,
        None,
        lambda row: (
            f"the CSV cannot be read here: the row has {rows[row]} fields, more than the "
            f"header's {width}: expected one value per column (an extra delimiter?)"
        ),
    )
    log.raise_if_any()
    try:
        # Read as Arrow strings, then to pandas' str dtype: the same frame as ``dtype=str``,
        # which builds a Python object per cell first (ten times slower on a big extract).
        frame = pd.read_csv(
            io.BytesIO(encoded),
            encoding="utf-8",
            dtype=pd.ArrowDtype(pa.string()),
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            sep=sep,
            index_col=False,  # never take the first column as the index
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError.single(
            file,
            f"the CSV cannot be read ({str(exc).strip()[:200]}): expected the same number of "
            "fields on every row",
            row=int(line.group(1)) if line else None,
        ) from None
    frame = frame.astype("str")
    header = _header(text, sep)
    check_headers([h.strip() for h in header], file, 1)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if sep == ";":
        frame = decimal_commas(frame)
    return require_rows(Table(file, drop_blank_rows(frame), header_row=1))


def _header(text: str, sep: str) -> list[str]:
    """The first record's fields, read from the start of the text (a copy of a big file into a
    StringIO costs a second); the whole text only when the header is not complete there."""
    cut = 1 << 16
    if len(text) > cut:
        reader = csv.reader(io.StringIO(text[:cut], newline=""), delimiter=sep)
        try:
            first = next(reader, [])
            if next(reader, None) is not None:  # a second record began: the first is whole
                return first
        except csv.Error:
            pass  # cut inside a quoted field: read the whole text
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), [])


def decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers written with a decimal comma (``1,5``, ``1.234,5``) rewritten with a point."""
    out = frame.copy()
    for column in out.columns:
        text = out[column].astype("str").str.strip()
        decimal = text.str.fullmatch(_DECIMAL_COMMA)
        if not decimal.any():
            continue
        settled = decimal & ~text.str.fullmatch(_THOUSANDS_LIKE)
        if not settled.any():
            continue  # only "1,500"-like cells: thousands separators, as parse_numbers reads
        point = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[column] = text.where(~decimal, point)
    return out


# --- files ---------------------------------------------------------------------------------------


def read_table(
    path: Path,
    data: bytes | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Table:
    """The first sheet of a CSV, Excel workbook or a zip holding one CSV, as a :class:`Table`.

    Raises:
        InputError: unsupported file type, unreadable or unsafe file, or no header.
    """
    data = read_bytes(path) if data is None else data
    suffix = path.suffix.lower()
    if suffix == ".zip":
        inner, text = unzip_csv(path, data)
        return csv_table(text, f"{path.name}/{inner}")
    if suffix in CSV_SUFFIXES:
        return csv_table(decode(data, path.name), path.name, data)
    if suffix in EXCEL_SUFFIXES:
        sheets = read_sheets(data, path.name)
        name, rows = next(iter(sheets.items()), ("", []))
        return rows_table(rows, path.name, name if len(sheets) > 1 else None, is_header)
    raise InputError.single(
        path.name, f"unsupported file type {suffix or '(none)'}: expected {', '.join(SUFFIXES)}"
    )


def read_bytes(path: Path) -> bytes:
    """A file's bytes, once its size is known to be under the limit.

    Raises:
        InputError: missing, a folder, unreadable, or over :func:`max_bytes`.
    """
    try:
        check_size(path.stat().st_size, path.name)
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError.single(path.name, f"file not found: {path.name}") from None
    except IsADirectoryError:
        raise InputError.single(path.name, "expected a file, not a folder") from None
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot read the file ({exc.strerror or type(exc).__name__})"
        ) from None


def unzip_csv(path: Path, data: bytes) -> tuple[str, str]:
    """The one CSV inside a zip: (its name, its text).

    The member's declared size is checked before reading and the bytes actually produced are
    counted while streaming, so a zip bomb is refused without being expanded.

    Raises:
        InputError: not a zip, not exactly one CSV in it, or it expands past :func:`max_bytes`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [i for i in archive.infolist() if i.filename.lower().endswith(CSV_SUFFIXES)]
            if len(members) != 1:
                raise InputError.single(
                    path.name, f"expected a zip holding exactly one CSV, found {len(members)}"
                )
            member = members[0]
            inner = Path(member.filename).name  # never a path: "../x.csv" is shown as x.csv
            check_size(member.file_size, f"{path.name}/{inner}", "the CSV, once unzipped,")
            chunks, total = [], 0
            with archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    check_size(total, f"{path.name}/{inner}", "the CSV, once unzipped,")
                    chunks.append(chunk)
            return inner, decode(b"".join(chunks), f"{path.name}/{inner}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError,
            NotImplementedError, EOFError) as exc:  # fmt: skip
        raise InputError.single(path.name, f"the zip cannot be opened ({exc})") from None
