"""The text and HTML parts decode, in any mail reader, to exactly what was rendered."""

from __future__ import annotations

import binascii
import email
import random

from webapp.services.sending import quoted_printable

ALPHABET = "ab =\t\n.\x01x-é—"


def _samples(count: int, *, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 700))).encode()
        for _ in range(count)
    ]


def test_encoded_text_decodes_to_the_original_within_the_line_limit():
    for data in _samples(400, seed=1):
        encoded = quoted_printable.encode(data)
        assert binascii.a2b_qp(encoded) == data, data
        lines = encoded.split(b"\n")
        assert max(map(len, lines)) <= 76, encoded
        assert not any(line.endswith((b" ", b"\t")) for line in lines), encoded
        assert all(32 <= b < 127 or b in (9, 10) for b in encoded), encoded


def test_matches_the_standard_library_on_a_long_html_line():
    html = '<td style="font-size:16px;color:#333">Entretien prévu — 10:00 = ok</td>' * 900
    data = ("<!doctype html>\n" + html + " \n<p>fin</p>\t").encode()
    assert quoted_printable.encode(data) == binascii.b2a_qp(data, istext=True)


def test_a_mail_reader_reads_the_part_back():
    text = "Bonjour Zoë,\n\n" + "Votre entretien = confirmé. " * 40 + "\n.\nFin   \n"
    body = quoted_printable.encode(text.encode()).replace(b"\n", b"\r\n")
    raw = (b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + body)  # fmt: skip
    message = email.message_from_bytes(raw)
    assert message.get_payload(decode=True).decode().replace("\r\n", "\n") == text
