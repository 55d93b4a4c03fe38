"""CSV import: mapping step, exact validation report, good rows in, nothing lost, upsert."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Candidate, ImportRun, ShortlistEntry

CSV_TEXT = (
    "E-mail;First name;Last name;TZ;ATS id;Skills\n"
    "ada@example.com;Ada;Lovelace;Europe/London;A1;math\n"
    "not-an-address;Bad;Row;UTC;A2;\n"
    "grace@example.com;Grace;Hopper;Mars/Olympus;A3;\n"
    "ADA@example.com;Ada;Again;UTC;A4;\n"
    "linus@example.com;Linus;Torvalds;Europe/Helsinki;;kernel\n"
    "\n"
    "=cmd@example.com;Evil;Formula;UTC;A6;\n"
    "=HYPERLINK(1);Bad;Formula;UTC;A7;\n"
)


def upload(client, text: str, **extra):
    data = {"file": (io.BytesIO(text.encode()), "people.csv"), **extra}
    return client.post("/audience/imports", data=data, content_type="multipart/form-data")


def test_import_with_bad_rows_reports_exactly_and_imports_the_rest(logged_in, org):
    response = upload(logged_in, CSV_TEXT)
    assert response.status_code == 302
    run = db.session.scalars(select(ImportRun)).one()
    mapping_page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "6 data rows" not in mapping_page and "7 data rows" in mapping_page
    assert '<option value="E-mail" selected>' in mapping_page  # guessed from the header
    response = logged_in.post(
        f"/audience/imports/{run.id}/map",
        data={
            "email": "E-mail",
            "first_name": "First name",
            "last_name": "Last name",
            "timezone": "TZ",
            "external_id": "ATS id",
            "attributes": ["Skills"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.status == "completed"
    assert (run.created_count, run.updated_count, run.processed_rows) == (3, 0, 7)
    reasons = {item["row"]: item["reason"] for item in run.rejected}
    assert sorted(reasons) == [3, 4, 5, 9]
    assert reasons[3].startswith("Invalid email address 'not-an-address'")
    assert reasons[4] == "Unknown time zone 'Mars/Olympus' (use a name like Europe/Paris)"
    assert reasons[5] == "Duplicate of row 2 (same email address)"
    emails = set(db.session.scalars(select(Candidate.email)))
    assert emails == {"ada@example.com", "linus@example.com", "=cmd@example.com"}
    linus = db.session.scalars(
        select(Candidate).where(Candidate.email == "linus@example.com")
    ).one()
    assert linus.timezone == "Europe/Helsinki" and linus.attributes == {"Skills": "kernel"}
    page = logged_in.get(f"/audience/imports/{run.id}").get_data(as_text=True)
    assert "Unknown time zone" in page and "Download rejected rows" in page
    download = logged_in.get(f"/audience/imports/{run.id}/rejected.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0][:2] == ["row", "reason"] and [r[0] for r in rows[1:]] == ["3", "4", "5", "9"]
    assert rows[4][2] == "'=HYPERLINK(1)"  # spreadsheet formulas are neutralized (P5)


def test_reimport_upserts_by_external_id_then_email_and_fills_shortlist(logged_in, org):
    existing = factories.make_candidate(org, "old@example.com", external_id="X1", first_name="Old")
    shortlist = factories.make_shortlist(org)
    db.session.commit()
    text = "email,first_name,external_id\nnew@example.com,Renamed,X1\nfresh@example.com,Fresh,\n"
    response = upload(logged_in, text, shortlist_id=str(shortlist.id))
    run = db.session.scalars(select(ImportRun)).one()
    logged_in.post(
        f"/audience/imports/{run.id}/map",
        data={
            "email": "email",
            "first_name": "first_name",
            "external_id": "external_id",
            "on_match": "update",  # the user chose to update matching candidates
        },
    )
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert response.status_code == 302 and (run.created_count, run.updated_count) == (1, 1)
    renamed = db.session.get(Candidate, existing.id)
    assert (renamed.email, renamed.first_name) == ("new@example.com", "Renamed")
    on_list = db.session.scalar(
        select(func.count()).where(ShortlistEntry.shortlist_id == shortlist.id)
    )
    assert on_list == 2


def test_mapping_without_email_column_is_refused_next_to_the_field(logged_in, org):
    upload(logged_in, "name,address\nAda,ada@example.com\n")
    run = db.session.scalars(select(ImportRun)).one()
    response = logged_in.post(f"/audience/imports/{run.id}/map", data={"first_name": "name"})
    assert response.status_code == 422
    assert "Choose the column that holds the email address." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_big_import_runs_in_a_worker_job_with_progress(app, logged_in, org):
    from jobs.imports import run_import
    from webapp.services.audience import imports as csv_import

    lines = ["email,first_name"] + [f"p{i}@example.com,P{i}" for i in range(2500)]
    lines.insert(100, "broken,Broken")
    upload(logged_in, "\n".join(lines))
    run = db.session.scalars(select(ImportRun)).one()
    logged_in.post(f"/audience/imports/{run.id}/map", data={"email": "email"})
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.total_rows == 2501 > csv_import.INLINE_MAX_ROWS and run.status == "pending"
    queued = app.extensions["herald.redis"].lrange("rq:queue:default", 0, -1)
    assert len(queued) == 1
    run_import(run.id)  # what the worker runs
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert (run.status, run.created_count, len(run.rejected)) == ("completed", 2500, 1)
    assert run.rejected[0]["row"] == 101


def test_canceling_before_the_import_keeps_nothing_of_the_upload(logged_in, org):
    upload(logged_in, "email\nada@example.com\n")
    run = db.session.scalars(select(ImportRun)).one()
    response = logged_in.post(f"/audience/imports/{run.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert (run.status, run.source) == ("canceled", "")
    assert "Canceled" in logged_in.get(f"/audience/imports/{run.id}").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0
