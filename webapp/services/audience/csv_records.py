"""Reading an uploaded CSV file into records, where a damaged row costs that row only.

Spreadsheets and ATS exports send every kind of file: UTF-8 with or without a byte-order
mark, UTF-16 (Excel's "Unicode text"), line ends of Windows (CRLF), Unix (LF), classic Mac
(CR) or all three mixed. Those all read. What cannot be read is reported next to the row it
is on, and reading resumes right after it:

- a cell longer than :data:`MAX_CELL_CHARS` characters;
- a NUL character (it is kept in the stored upload as U+FFFE, a noncharacter that no real
  text holds, because PostgreSQL text cannot hold NUL);
- a quote that opens a cell and is never closed (reading resumes on the next line, so the
  rest of the file is not swallowed into one cell);
- text after the closing quote of a cell.

Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

MAX_CELL_CHARS = 131_072  # Python's csv field limit; also far beyond any real cell
NUL_MARK = "\ufffe"
KEPT_CHARS = 1_000  # of a rejected row's text, shown in the report
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read: the message says why and what to do."""


@dataclass
class Record:
    row: int
    cells: list[str] | None  # None: the row could not be read, see ``problem``
    problem: str = ""
    text: str = ""  # the start of an unreadable row, as it is in the file


def decode_upload(raw: bytes) -> str:
    """The upload as text: UTF-8 (BOM optional) or UTF-16 (with a BOM, or recognisable by
    its NUL bytes); NUL characters become :data:`NUL_MARK`."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif _looks_like_utf16(raw[:4096]):
        encoding = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
            "Export it from your spreadsheet as “CSV UTF-8”."
        ) from None
    return text.lstrip("\ufeff").replace("\x00", NUL_MARK)


def _looks_like_utf16(head: bytes) -> bool:
    """Mostly-ASCII UTF-16 without a BOM: every other byte is NUL."""
    if len(head) < 4:
        return False
    return max(head[0::2].count(0), head[1::2].count(0)) > 0.4 * (len(head) / 2)


def sniff(text: str) -> str:
    """The delimiter (comma, semicolon or tab) from the start of the file. Only the delimiter
    is taken from the sniffer: its guesses about quoting differ with the sample, and a quote
    left open in the sample would change how every row reads."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def records(text: str) -> Iterator[Record]:
    """Every record of ``text``, readable or not, the header first."""
    lines = _LINE.findall(text)
    delimiter, position, number = sniff(text), 0, 0
    check = cell_problem if NUL_MARK in text else _no_problem
    while position < len(lines):
        base = start = position
        reader = csv.reader(
            islice(lines, base, None), delimiter=delimiter, doublequote=True, strict=True
        )
        try:
            for cells in reader:
                number += 1
                yield Record(number, cells, check(cells))
                start = base + reader.line_num  # the lines it has read so far
            return
        except csv.Error as exc:
            number += 1
            problem, position = _classify(str(exc), start, base + reader.line_num)
            yield Record(number, None, problem, "".join(lines[start:position])[:KEPT_CHARS])


def _classify(error: str, start: int, position: int) -> tuple[str, int]:
    """A reason for the reader's error, and the line to read on from. An error in a record
    that runs over several lines means a quote was left open: read on from the next line."""
    if position - start > 1 or "unexpected end of data" in error:
        return (
            'A quote (") opens a cell on this row and is never closed; '
            "the rows after it were read on their own",
            start + 1,
        )
    if "field larger than field limit" in error:
        return f"A cell is longer than {MAX_CELL_CHARS:,} characters", position
    if "expected after" in error:
        return (
            'A cell has text after its closing quote ("); put the whole cell in quotes and '
            "double the quotes inside it",
            position,
        )
    return f"This row cannot be read as CSV ({error})", max(position, start + 1)


def _no_problem(cells: list[str]) -> str:
    return ""


def cell_problem(cells: list[str]) -> str:
    if any(NUL_MARK in cell for cell in cells):
        return "The row contains a NUL character (a zero byte): the file may be damaged"
    return ""
