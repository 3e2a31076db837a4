"""Reading files safely (issue 13, items 7, 8 and 11): what every importer shares.

Header-only files, UTF-16, duplicated columns, over-long names, decimal commas, empty
workbooks, rows with too few fields, and zip bombs: each is refused with a located message (exit
2) or read correctly, and a refused file changes nothing in the store.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from productivity import cli, ingest
from productivity.errors import InputError
from productivity.ingest.reading import decode
from tests.test_ingest_store import count, snapshot

ECHO_HEADER = "trust_code,site,date,tests,scheduled_minutes"
ECHO_ROWS = ("RBL,RBL01,2026-05-04,30,600", "RBL,RBL02,2026-05-04,12,300")


def echo(tmp_path: Path, *lines: str, name: str = "echo.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refused(path: Path, engine, **options) -> InputError:
    """Import ``path``, expecting a located refusal that changes nothing."""
    before = snapshot(engine)
    with pytest.raises(InputError) as caught:
        ingest.import_file(path, engine=engine, **options)
    assert snapshot(engine) == before
    assert all(p.file.startswith(path.name) for p in caught.value.problems)
    return caught.value


def test_a_header_only_file_is_an_error_not_an_empty_load(engine, tmp_path):
    error = refused(echo(tmp_path, ECHO_HEADER), engine)
    assert "header row but no data rows" in str(error)
    assert cli.main(["import", str(echo(tmp_path, ECHO_HEADER, name="h.csv"))]) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_files_with_a_byte_order_mark_are_decoded(engine, tmp_path, encoding):
    """``St Helen’s`` (a right single quote) survives UTF-16, which used to become ``\\x19 s``."""
    text = f"{ECHO_HEADER}\nRBL,St Helen’s,2026-05-04,30,600\n"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    path = tmp_path / "echo.csv"
    path.write_bytes(bom + text.encode(encoding))
    parsed = ingest.read_file(path)
    assert parsed.frames["echo_activity"]["site"].tolist() == ["St Helen’s"]


def test_utf16_without_a_mark_is_recognised_and_binary_text_refused(tmp_path):
    text = f"{ECHO_HEADER}\nRBL,St Helen’s,2026-05-04,30,600\n"
    assert decode(text.encode("utf-16-le")) == text
    with pytest.raises(InputError, match="NUL character") as caught:
        decode(b"trust_code,site\nRBL,\x00x\n", "nul.csv")
    assert caught.value.problems[0].row == 2


def test_a_duplicated_column_is_refused(engine, tmp_path):
    """Two ``tests`` columns with different values: which is right cannot be told."""
    path = echo(tmp_path, ECHO_HEADER + ",Tests", "RBL,RBL01,2026-05-04,30,600,31")
    [problem] = refused(path, engine).problems
    assert (problem.row, problem.column) == (1, "Tests")
    assert "given twice (columns 4 and 6)" in problem.message


def test_names_and_headers_have_a_length_limit(engine, tmp_path):
    long_site = "S" * 1_000_000
    [problem] = refused(echo(tmp_path, ECHO_HEADER, f"RBL,{long_site},2026-05-04,30,600"),
                        engine).problems  # fmt: skip
    assert (problem.row, problem.column) == (2, "site") and "at most 200" in problem.message
    assert len(problem.value or "") < 120, "the problem repeats only the start of the value"
    error = refused(echo(tmp_path, ECHO_HEADER + ",x" + "y" * 300, ECHO_ROWS[0] + ",1",
                         name="h.csv"), engine)  # fmt: skip
    assert "a header of 301 characters" in str(error)


def test_a_decimal_comma_with_semicolons_is_read_as_a_decimal(tmp_path):
    """``1,5`` hours used to become 15; in a ``;`` file it is 1.5 (and 1.234,5 is 1234.5)."""
    header = "trust_code;site;scanner_id;modality;date;operational_hours;scans"
    path = tmp_path / "scanner-days.csv"
    path.write_text(f"{header}\nRBL;RBL01;CT1;CT;2026-05-04;1,5;4\n"
                    f"RBL;RBL01;CT2;CT;2026-05-04;10,25;40\n", encoding="utf-8")  # fmt: skip
    day = ingest.read_file(path).frames["scanner_day"]
    assert day["operational_hours"].tolist() == [1.5, 10.25]


def test_a_comma_that_is_not_a_thousands_separator_is_refused(engine, tmp_path):
    path = echo(tmp_path, ECHO_HEADER, 'RBL,RBL01,2026-05-04,30,"1,5"')
    [problem] = refused(path, engine).problems
    assert (problem.row, problem.column, problem.value) == (2, "scheduled_minutes", "1,5")
    thousands = echo(tmp_path, ECHO_HEADER, 'RBL,RBL01,2026-05-04,30,"1,200"', name="t.csv")
    assert ingest.read_file(thousands).frames["echo_activity"]["scheduled_minutes"][0] == 1200


@pytest.mark.parametrize("shape", ["no bytes", "no sheet rows", "header only"])
def test_an_empty_workbook_is_bad_input_not_a_type_error(engine, tmp_path, shape):
    path = tmp_path / "empty.xlsx"
    if shape == "no bytes":
        path.write_bytes(b"")
    else:
        book = openpyxl.Workbook()
        if shape == "header only":
            book.active.append(ECHO_HEADER.split(","))
        book.save(path)
    error = refused(path, engine)
    assert "TypeError" not in str(error)
    assert cli.main(["import", str(path)]) == 2


def test_a_row_with_too_few_fields_is_a_located_error(engine, tmp_path):
    """A half-written last line (``RBL-``) used to load as a case with empty times."""
    theatre = Path(__file__).resolve().parent.parent / "data" / "samples"
    text = (theatre / "theatre-extract-RBL-May-2026.csv").read_text()
    path = tmp_path / "half.csv"
    path.write_text(text + "RBL,RBL01,Theatre 1,2026-05-08,AM,08:30,12:30,General Surgery,RBL-")
    [problem] = refused(path, engine).problems
    assert problem.row == 146 and "9 of 18 fields" in problem.message
    too_many = echo(tmp_path, ECHO_HEADER, ECHO_ROWS[0] + ",extra", name="many.csv")
    assert refused(too_many, engine).problems[0].row == 2


def zip_of(name: str, size: int) -> bytes:
    """A zip holding ``name``: a CSV header then ``size`` bytes of spaces (compresses ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, ECHO_HEADER + "\n" + " " * size)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_size(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODUCTIVITY_MAX_FILE_MB", "1")
    path = tmp_path / "DM01-MAY-2026-full-extract.zip"
    path.write_bytes(zip_of("extract.csv", 5_000_000))
    assert path.stat().st_size < 50_000  # 5 MB of CSV in a small zip
    error = refused(path, engine)
    assert "more than the 1 MB limit (PRODUCTIVITY_MAX_FILE_MB)" in str(error)
    assert cli.main(["import", str(path)]) == 2


def test_a_zip_that_lies_about_its_size_is_stopped_while_streaming(engine, tmp_path, monkeypatch):
    """The member's headers claim 100 bytes: it never expands past that (the stream is also
    counted as it expands), and the mismatch refuses the file."""
    monkeypatch.setenv("PRODUCTIVITY_MAX_FILE_MB", "1")
    data = bytearray(zip_of("extract.csv", 3_000_000))
    real = len(ECHO_HEADER) + 1 + 3_000_000
    for field in (real.to_bytes(4, "little"),):  # the uncompressed size, local and central
        data = bytearray(bytes(data).replace(field, (100).to_bytes(4, "little")))
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(data))
    error = refused(path, engine)
    assert "limit" in str(error) or "cannot be opened" in str(error)


def test_a_workbook_that_expands_past_the_limit_is_refused(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODUCTIVITY_MAX_FILE_MB", "1")
    book = openpyxl.Workbook()
    for i in range(40_000):
        book.active.append([f"RBL{i}", "RBL01", "2026-05-04", 30, 600])
    path = tmp_path / "big.xlsx"
    book.save(path)
    assert "expanded" in str(refused(path, engine))


def test_a_file_over_the_limit_is_refused_before_it_is_read(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODUCTIVITY_MAX_FILE_MB", "0.001")  # 1,000 bytes
    path = echo(tmp_path, ECHO_HEADER, *(ECHO_ROWS * 40))
    assert "more than the 0.001 MB limit" in str(refused(path, engine))
    assert count(engine, "echo_activity") == 0


@pytest.mark.parametrize(
    ("text", "row", "fragment"),
    [
        ("\r" + ECHO_HEADER + '\n"",RBL01,2026-05-01,34,1318\n', 1, "first row is empty"),
        (ECHO_HEADER + '\nRBL,"' + "x" * 200_000 + '",2026-05-04,30,600\n', 2, "field limit"),
        (ECHO_HEADER + '\nRBL,"RBL01,2026-05-04,30,600\n', 2, "2 of 5 fields"),
    ],
)
def test_quoting_that_cannot_be_read_is_located_not_a_crash(engine, tmp_path, text, row, fragment):
    """Found by the property test: a lone CR before a quoted field raised csv.Error (exit 1)."""
    path = tmp_path / "quoted.csv"
    path.write_text(text, newline="")
    [problem] = refused(path, engine).problems
    assert problem.row == row and fragment in problem.message


def test_old_mac_line_endings_with_quotes_are_read(tmp_path):
    path = tmp_path / "cr.csv"
    path.write_text(ECHO_HEADER + '\r"RBL","RBL01",2026-05-04,30,600\r', newline="")
    assert ingest.read_file(path).frames["echo_activity"]["tests"].tolist() == [30]
