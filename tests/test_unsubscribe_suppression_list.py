"""The suppression list page: search, add, remove (audited), import and export CSV (P5)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Suppression
from webapp.services.consent.suppressions import is_suppressed, suppress


def test_add_search_and_remove_are_audited(logged_in, org):
    response = logged_in.post(
        "/settings/suppressions",
        data={"email": "Ada@Example.com", "reason": "manual", "note": "asked by phone"},
    )
    assert response.status_code == 302 and is_suppressed(org.id, "ada@example.com")
    suppress(org.id, "bob@example.com", "complaint")
    db.session.commit()
    page = logged_in.get("/settings/suppressions?q=ada").get_data(as_text=True)
    assert "ada@example.com" in page and "bob@example.com" not in page
    row = db.session.scalars(
        select(Suppression).where(Suppression.email == "ada@example.com")
    ).one()
    logged_in.post(f"/settings/suppressions/{row.id}/remove")
    assert not is_suppressed(org.id, "ada@example.com")
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)).all()
    assert actions == ["suppression.add", "suppression.remove"]


def test_invalid_address_is_explained_and_kept(logged_in, org):
    response = logged_in.post(
        "/settings/suppressions", data={"email": "not-an-address", "reason": "manual"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="not-an-address"' in page
    assert "field-error" in page


def test_import_reports_bad_lines_and_keeps_the_rest(logged_in, org):
    data = (
        "email,reason\nada@example.com,unsubscribed\nnot an email\n"
        "bob@example.com\nc@example.com,bogus\n"
    )
    response = logged_in.post(
        "/settings/suppressions/import",
        data={"file": (io.BytesIO(data.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "2 added" in page and "Line 3" in page and "Line 5" in page
    assert is_suppressed(org.id, "bob@example.com")


def test_export_neutralizes_spreadsheet_formulas(logged_in, org, other_org):
    suppress(org.id, "ada@example.com", "manual", note='=HYPERLINK("http://evil")')
    suppress(org.id, "bob@example.com", "manual", note="@SUM(A1)")
    suppress(other_org.id, "theirs@example.com", "manual")
    db.session.commit()
    response = logged_in.get("/settings/suppressions/export.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["email", "reason", "note", "created_at"]
    notes = {row[0]: row[2] for row in rows[1:]}
    assert notes == {
        "ada@example.com": '\'=HYPERLINK("http://evil")',
        "bob@example.com": "'@SUM(A1)",
    }
