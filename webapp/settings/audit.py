"""The audit log page: who changed what, filterable (registered on the settings blueprint)."""

from __future__ import annotations

from flask import g, render_template, request

from webapp.services.stats import audit_log
from webapp.services.stats.ranges import zone
from webapp.settings import bp


@bp.get("/audit")
def audit():
    flt, error = audit_log.filter_from_args(request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, has_next = audit_log.entries_page(g.org.id, flt, g.org.timezone, page)
    return render_template(
        "settings/audit.html",
        rows=rows,
        has_next=has_next,
        page=page,
        flt=flt,
        date_error=error,
        actions=audit_log.known_actions(g.org.id),
        actors=audit_log.actors(g.org.id),
        tz=zone(g.org.timezone),
    )
