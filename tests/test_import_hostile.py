"""CSV files that spreadsheets, ATS exports and damaged disks produce: each either imports,
or is refused as a whole with a reason next to the file field, or loses only its bad rows
(with a reason next to each) while every good row goes in. Never a 500.

The corpus covers the class: encodings (BOM, UTF-16 with and without BOM, Latin-1), line
ends (CR only, CRLF, mixed, none at all), NUL bytes, cells past the 128 KB cell limit, quotes
never closed, values longer than the database holds, header-only and empty files. It runs
through the dashboard upload flow and through the import job in a real worker process.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.test_worker import run_burst, worker_env  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import Candidate, ImportRun
from webapp.services.audience import imports as csv_import
from webapp.services.queues import DEFAULT

BIG = "x" * 140_000
GOOD = ["ada@example.com", "grace@example.com", "linus@example.com"]


def good_rows(separator: str = ",", end: str = "\n") -> str:
    return end.join(f"{email}{separator}{email[:3].title()}" for email in GOOD)


FILES_THAT_IMPORT = {
    "CR-only line ends": ("email,first_name\r" + good_rows(end="\r") + "\r").encode(),
    "CRLF line ends": ("email,first_name\r\n" + good_rows(end="\r\n") + "\r\n").encode(),
    "mixed line ends": b"email,first_name\r\nada@example.com,Ada\rgrace@example.com,Gra\n"
    b"linus@example.com,Lin",
    "no newline at the end": ("email,first_name\n" + good_rows()).encode(),
    "UTF-8 BOM": ("\ufeffemail,first_name\n" + good_rows()).encode(),
    "UTF-16 with BOM, tabs": ("email\tfirst_name\r\n" + good_rows("\t", "\r\n")).encode("utf-16"),
    "UTF-16 LE without BOM": ("email,first_name\n" + good_rows()).encode("utf-16-le"),
    "UTF-16 BE without BOM": ("email,first_name\n" + good_rows()).encode("utf-16-be"),
    "10,000 columns": ("email,first_name" + ",c" * 10_000 + "\n" + good_rows()).encode(),
    "blank lines between rows": ("email,first_name\n\n\n" + good_rows(end="\n\n")).encode(),
    "a multi-line quoted cell": b'email,first_name\nada@example.com,"Ada\nLovelace"\n'
    b"grace@example.com,Gra\nlinus@example.com,Lin\n",
}
# file -> {row: start of the reason}; the rows not listed are the good ones
FILES_WITH_BAD_ROWS = {
    "a cell over 128 KB": (
        f"email,first_name\nada@example.com,Ada\nbig@example.com,{BIG}\n"
        "grace@example.com,Gra\nlinus@example.com,Lin\n".encode(),
        {3: "A cell is longer than 131,072 characters"},
    ),
    "a quoted cell over 128 KB": (
        f'email,first_name\nada@example.com,Ada\nbig@example.com,"{BIG}"\n'
        "grace@example.com,Gra\nlinus@example.com,Lin\n".encode(),
        {3: "A cell is longer than 131,072 characters"},
    ),
    "NUL bytes": (
        b"email,first_name\nada@example.com,Ada\nnul@example.com,N\x00L\n"
        b"grace@example.com,Gra\n\x00\x00\x00\nlinus@example.com,Lin\n",
        {3: "The row contains a NUL character", 5: "The row contains a NUL character"},
    ),
    "a quote never closed": (
        b'email,first_name\nada@example.com,Ada\nopen@example.com,"Unclosed\n'
        b"grace@example.com,Gra\nlinus@example.com,Lin\n",
        {3: 'A quote (") opens a cell on this row and is never closed'},
    ),
    "a quote never closed, quotes further down": (
        b'email,first_name\nada@example.com,Ada\nopen@example.com,"Unclosed\n'
        b'grace@example.com,"Gra"\nlinus@example.com,Lin\n',
        {3: 'A quote (") opens a cell on this row and is never closed'},
    ),
    "text after a closing quote": (
        b'email,first_name\nada@example.com,Ada\nq@example.com,"Quo"ted\n'
        b"grace@example.com,Gra\nlinus@example.com,Lin\n",
        {3: 'A cell has text after its closing quote (")'},
    ),
    "a value longer than the database holds": (
        (
            "email,first_name\nada@example.com,Ada\nlong@example.com," + "L" * 300 + "\n"
            "grace@example.com,Gra\nlinus@example.com,Lin\n"
        ).encode(),
        {3: "First name is longer than 200 characters"},
    ),
}
FILES_REFUSED = {
    "empty": (b"", "The file is empty."),
    "header only, no newline at all": (b"email,first_name", "no rows below them"),
    "header only, CR": (b"email,first_name\r\r\r", "no rows below them"),
    "one 200 KB line and nothing else": (
        b"email," + b"y" * 200_000,
        "The first row (the column names) cannot be read: A cell is longer than",
    ),
    "a NUL in the header": (b"em\x00ail\nada@example.com\n", "The first row"),
    "Latin-1, not UTF-8": ("email,first_name\nzoe@example.com,Zoé\n".encode("latin-1"), "UTF-8"),
}


def upload(client, raw: bytes):
    data = {"file": (io.BytesIO(raw), "people.csv")}
    return client.post("/audience/imports", data=data, content_type="multipart/form-data")


def import_through_the_dashboard(client, raw: bytes) -> ImportRun:
    response = upload(client, raw)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    run = db.session.scalars(select(ImportRun).order_by(ImportRun.created_at.desc())).first()
    mapping_page = client.get(response.headers["Location"])
    assert mapping_page.status_code == 200
    response = client.post(
        f"/audience/imports/{run.id}/map", data={"email": "email", "first_name": "first_name"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def emails() -> set[str]:
    return set(db.session.scalars(select(Candidate.email)))


@pytest.mark.parametrize("name", sorted(FILES_THAT_IMPORT))
def test_files_that_just_import(logged_in, org, name):
    run = import_through_the_dashboard(logged_in, FILES_THAT_IMPORT[name])
    assert (run.status, run.rejected, run.created_count) == ("completed", [], 3), run.rejected
    assert emails() == set(GOOD)
    names = set(db.session.scalars(select(Candidate.first_name)))
    assert {"Gra", "Lin"} <= names


@pytest.mark.parametrize("name", sorted(FILES_WITH_BAD_ROWS))
def test_bad_rows_are_reported_and_every_good_row_imports(logged_in, org, name):
    raw, expected = FILES_WITH_BAD_ROWS[name]
    run = import_through_the_dashboard(logged_in, raw)
    assert run.status == "completed" and run.created_count == 3
    assert emails() == set(GOOD)
    reasons = {item["row"]: item["reason"] for item in run.rejected}
    assert sorted(reasons) == sorted(expected)
    for row, start in expected.items():
        assert reasons[row].startswith(start), reasons[row]
    page = logged_in.get(f"/audience/imports/{run.id}").get_data(as_text=True)
    assert "Rows not imported" in page and len(page) < 200_000, "long cells are shortened"
    download = logged_in.get(f"/audience/imports/{run.id}/rejected.csv")
    assert download.status_code == 200 and "\x00" not in download.get_data(as_text=True)


@pytest.mark.parametrize("name", sorted(FILES_REFUSED))
def test_unreadable_files_are_refused_with_the_reason_next_to_the_field(logged_in, org, name):
    raw, reason = FILES_REFUSED[name]
    response = upload(logged_in, raw)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page.replace("&#34;", '"')
    assert 'id="file-error"' in page
    assert db.session.scalars(select(ImportRun)).all() == []


def test_a_big_damaged_file_imports_in_the_worker_process(worker_env, logged_in, org):  # noqa: F811
    lines = ["email,first_name"] + [f"p{i}@example.com,P{i}" for i in range(2500)]
    lines[500] = f"big@example.com,{BIG}"  # row 501
    lines[1000] = "nul@example.com,N\x00L"  # row 1001
    lines[1500] = 'open@example.com,"never closed'  # row 1501
    raw = "\r".join(lines).encode()  # classic Mac line ends throughout
    response = upload(logged_in, raw)
    assert response.status_code == 302
    run = db.session.scalars(select(ImportRun)).one()
    assert run.total_rows == 2500 > csv_import.INLINE_MAX_ROWS
    logged_in.post(f"/audience/imports/{run.id}/map", data={"email": "email"})
    run_burst(worker_env, DEFAULT)
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.status == "completed"
    assert sorted(item["row"] for item in run.rejected) == [501, 1001, 1501]
    assert (run.created_count, run.processed_rows) == (2497, 2500)
    assert len(emails()) == 2497
