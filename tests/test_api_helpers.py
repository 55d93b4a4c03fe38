"""Helpers for the API tests (no tests here): keys, an authenticated JSON client, fixtures."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.services.accounts.api_keys import create_api_key


def make_key(org, scopes=("send", "read", "manage"), **fields) -> str:
    key, raw = create_api_key(org.id, "Test key", list(scopes))
    for name, value in fields.items():
        setattr(key, name, value)
    db.session.commit()
    return raw


class Api:
    """``api.post("/messages", json=...)`` with the Bearer header and the /api/v1 prefix."""

    def __init__(self, client, raw_key: str):
        self.client = client
        self.raw_key = raw_key

    def _call(self, method: str, path: str, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.raw_key}", **(headers or {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self._call("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self._call("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("DELETE", path, **kwargs)


@pytest.fixture
def api(client, org):
    """A client with a key of ``org`` holding every scope."""
    return Api(client, make_key(org))


@pytest.fixture
def other_api(client, other_org):
    return Api(client, make_key(other_org))
