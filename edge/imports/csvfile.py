"""CSV files as organisers really have them: two encodings, three delimiters.

Spreadsheets on Windows save Windows-1252 (Excel "CSV"), others UTF-8 with or
without a BOM; French locales use ``;``. The delimiter is decided from the header
line only, because names and clubs in the data often contain commas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from edge.errors import InvalidInput, Problem
from edge.phrase import Phrase

# Order breaks ties: a header with as many ``;`` as ``,`` comes from a French locale.
DELIMITERS = (";", ",", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
# Follows the data so that a quote never closed, which would silently swallow every
# later row into one value, shows up: the sentinel is then not a record of its own.
# NUL cannot occur in the text, decode() refuses it.
_SENTINEL = "\x00end\x00"
_BIB = re.compile(r"[0-9A-Z]+")
# Spreadsheets save empty rows as ";;;" (or ",,," from another locale): a line or
# record without any other character holds nothing and is skipped.
_CONTENT = re.compile(r'[^\s;,"]')
FILE = Phrase("file")
"""Where a problem of the whole file is."""


@dataclass(frozen=True)
class CsvTable:
    """A decoded CSV file: its header and its non-blank records with their first line."""

    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM or not), else Windows-1252; return (text, encoding)."""
    if b"\x00" in data:
        # UTF-16 text and .xlsx/.ods workbooks both contain NUL bytes; cp1252 would
        # "decode" them into garbage headers and a puzzling "missing column" error.
        raise InvalidInput(
            [Problem(FILE, Phrase("this is not a CSV text file (a workbook or UTF-16 text?)"))],
            Phrase("save the sheet as CSV (UTF-8 or Windows) and import that file"),
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # A BOM on a file that is not valid UTF-8 would otherwise spoil the first header.
    body = data.removeprefix(_UTF8_BOM)
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        reason = Phrase(
            "neither UTF-8 nor Windows-1252 text (byte 0x{byte:02X} at offset {offset})",
            byte=body[error.start],
            offset=error.start,
        )
        raise InvalidInput(
            [Problem(FILE, reason)], Phrase("save the file as CSV UTF-8 and import it again")
        ) from None


def _header_delimiter(text: str) -> str:
    """The delimiter occurring most often outside quotes in the first non-blank line."""
    lines = io.StringIO(text, newline="")
    header = next((line for line in lines if _CONTENT.search(line)), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_table(data: bytes) -> CsvTable:
    """Decode and split a CSV file; an empty file or one without a header is refused."""
    text, encoding = decode(data)
    delimiter = _header_delimiter(text)
    # newline="" keeps quoted line breaks inside values and lets the reader count
    # \r\n, \n and \r each as one physical line, as the organiser's editor shows them.
    reader = csv.reader(io.StringIO(f"{text}\n{_SENTINEL}\n", newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if any(_CONTENT.search(cell) for cell in record):
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        problem = Problem(FILE, Phrase("unreadable CSV: {error}", error=str(error)), start)
        raise InvalidInput([problem], Phrase("the CSV file cannot be read")) from error
    last_line, last = records.pop()
    if last != [_SENTINEL]:
        reason = Phrase(
            "a quoted value opened on line {line} is never closed (a '\"' is missing)",
            line=last_line,
        )
        raise InvalidInput(
            [Problem(FILE, reason, last_line)], Phrase("the CSV file cannot be read")
        )
    if not records:
        raise InvalidInput(
            [Problem(FILE, Phrase("the file is empty"), 1)], Phrase("empty CSV file")
        )
    header_line, headers = records[0]
    return CsvTable(encoding, delimiter, headers, records[1:], header_line)


def quoted_headers(table: CsvTable) -> str:
    """The header line's names quoted, for a message: a misspelt column then shows."""
    return ", ".join(repr(h.strip()) for h in table.headers if h.strip()) or "—"


def cell_values(columns: Mapping[str, int], cells: list[str]) -> dict[str, str]:
    """The trimmed value of each mapped field; a short row reads as empty cells."""
    return {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}


def extra_cells(cells: list[str], headers: list[str], delimiter: str) -> str | None:
    """Why a row with more cells than the header cannot be trusted, or None."""
    if len(cells) <= len(headers):
        return None
    # Every value after an unquoted delimiter sits one column to the right.
    return Phrase(
        "{cells} cells for {columns} columns (a {delimiter!r} inside a value needs quotes)",
        cells=len(cells),
        columns=len(headers),
        delimiter=delimiter,
    )


def normalise_bib(value: str) -> str:
    """A bib as stored: trimmed, leading zeros of numeric bibs dropped, letters uppercase."""
    bib = value.strip().upper()
    # isascii() first: "²".isdigit() is true but int("²") raises.
    if bib.isascii() and bib.isdigit():
        return str(int(bib))
    return bib


def bib_problem(bib: str) -> str | None:
    """Why a normalised bib is unusable, or None when it is fine."""
    if not bib:
        return Phrase("the bib is empty")
    if not _BIB.fullmatch(bib):
        return Phrase("bib {bib!r} is not made of letters A-Z and digits 0-9", bib=bib)
    return None
