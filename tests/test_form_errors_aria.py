"""Form fields with an error say so to assistive technology, and never "None" (issue 14,
item 9): each form below is sent empty; every invalid field is marked aria-invalid="true" and
described by the message next to it, and no attribute anywhere reads "None"."""

from __future__ import annotations

import re

import pytest

FORMS = [
    "/forgot-password",
    "/settings/suppressions",
    "/settings/domains/add",
    "/settings/members/invite",
    "/settings/relays",
    "/settings/webhooks",
    "/settings/api-keys",
    "/audience/jobs/new",
    "/audience/candidates/new",
    "/templates/",
]


@pytest.mark.parametrize("url", FORMS)
def test_an_empty_form_marks_its_fields_and_says_no_none(logged_in, url):
    response = logged_in.post(url, data={})
    page = response.get_data(as_text=True)
    assert '="None"' not in page, url
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert described, f"{url}: no field is described by an error ({response.status_code})"
    for ids in described:
        for element_id in ids.split():
            assert f'id="{element_id}"' in page, (url, element_id)
    assert 'aria-invalid="true"' in page, url


def test_the_sign_in_form_with_a_wrong_password_says_no_none(client, user):
    page = client.post("/login", data={"email": user.email, "password": "wrong"})
    text = page.get_data(as_text=True)
    assert '="None"' not in text and 'aria-invalid="true"' in text
    assert 'aria-describedby="password-error"' in text and 'id="password-error"' in text
