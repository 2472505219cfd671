"""CSV files as organisers really have them: any of two encodings, three delimiters.

Spreadsheets on Windows save Windows-1252 (Excel "CSV"), others UTF-8 with or
without a BOM; French locales use ``;``. The delimiter is decided from the header
line only, because names and clubs in the data often contain commas.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from edge.errors import InvalidInput, Problem

DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class CsvTable:
    """A decoded CSV file: its header and its non-blank records with their first line."""

    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM or not), else Windows-1252; return (text, encoding)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves 5 bytes undefined; latin-1 maps them so no file is refused.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"


def _header_delimiter(line: str) -> str:
    """The delimiter occurring most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_table(data: bytes) -> CsvTable:
    """Decode and split a CSV file; an empty file or one without a header is refused."""
    text, encoding = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise InvalidInput([Problem("file", "the file is empty", 1)], "empty CSV file")
    delimiter = _header_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers = record
            else:
                rows.append((start, record))
    except csv.Error as error:
        raise InvalidInput(
            [Problem("file", f"unreadable CSV: {error}", line)], "the CSV file cannot be read"
        ) from error
    assert headers is not None
    return CsvTable(encoding=encoding, delimiter=delimiter, headers=headers, rows=rows)


def normalise_header(name: str) -> str:
    """Fold a header for matching: lowercase, no accents, ``_``/``-``/``.`` as spaces."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\s_\-.]+", " ", plain).strip()


def map_headers(
    headers: Iterable[str], aliases: Mapping[str, str]
) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Map header positions to canonical field names.

    Return (field -> column index, ignored raw headers, problems for duplicates).
    ``aliases`` maps normalised header text to canonical field name.
    """
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, raw in enumerate(headers):
        field = aliases.get(normalise_header(raw))
        if field is None:
            if raw.strip():
                ignored.append(raw.strip())
        elif field in columns:
            problems.append(Problem(raw.strip(), f"column {field} appears twice in the header", 1))
        else:
            columns[field] = index
    return columns, ignored, problems


def normalise_bib(value: str) -> str:
    """A bib as stored: trimmed, leading zeros of numeric bibs dropped, letters uppercase."""
    bib = value.strip().upper()
    if bib.isdigit():
        return str(int(bib))
    return bib
