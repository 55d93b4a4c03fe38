"""Auto-replies: out-of-office notes and other answers no person wrote (RFC 3834 and the
common non-standard forms). They are kept on the message's timeline but are neither replies
(nobody is forwarded anything, "replied" does not count them) nor bounces.

RFC 3834: ``Auto-Submitted`` with any value but ``no``. Exchange and Outlook mark an
out-of-office with ``X-Auto-Response-Suppress`` and ``Auto-Submitted: auto-generated`` (older
ones only with the subject "Automatic reply:"); other systems use ``X-Autoreply``,
``X-Autorespond``, ``Precedence: auto_reply`` or a subject in the recipient's language.
"""

from __future__ import annotations

import re
from email.message import Message

AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Mail-Autoreply")
SUBJECT_RE = re.compile(
    r"^\s*(automatic reply|auto(matic)?[ -]?(reply|response|antwort)|auto:|out of (the )?office|"
    r"abwesenheitsnotiz|abwesend|r[ée]ponse automatique|absence|respuesta autom[aá]tica|"
    r"fuera de la oficina|risposta automatica|fuori sede|autosvar|automatisch antwoord|"
    r"afwezig|resposta autom[aá]tica|i am (currently )?out of)",
    re.IGNORECASE,
)


def auto_reply_reason(msg: Message) -> str | None:
    """Why ``msg`` is automatic, or None when a person may have written it."""
    submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted.split(';')[0]}"
    for name in AUTO_HEADERS:
        if msg.get(name) is not None:
            return name
    if msg.get("X-Auto-Response-Suppress") is not None and SUBJECT_RE.search(
        str(msg.get("Subject", ""))
    ):
        return "out of office (Exchange)"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    if SUBJECT_RE.search(str(msg.get("Subject", ""))):
        return "out-of-office subject"
    return None
