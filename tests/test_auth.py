"""Sign-in, sign-out, roles, CSRF and login rate limiting."""

from tests.support import factories
from webapp.extensions import db


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_logout(client, user, org):
    response = client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD}, follow_redirects=True
    )
    assert response.status_code == 200
    assert org.name.encode() in response.data
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post("/login", data={"email": user.email, "password": "wrong password!"})
    assert response.status_code == 200
    assert b"do not match an account" in response.data
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client, user):
    response = client.post("/login", data={"email": "nobody@x.example", "password": "whatever123"})
    assert b"do not match an account" in response.data


def test_login_is_rate_limited(app, client, user):
    app.config["HERALD"].login_rate_limit = 3
    for _ in range(3):
        client.post("/login", data={"email": user.email, "password": "bad password 1"})
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_session_cookie_is_httponly(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_viewer_cannot_change_settings(app, client, org, login_as):
    viewer = factories.make_user("viewer@acme.example", org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.get("/settings/").status_code == 200
    page = client.get("/settings/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/settings/", data={"csrf_token": token, "name": "Hacked"})
    assert response.status_code == 403


def test_post_without_csrf_token_is_refused(app, logged_in):
    app.config["WTF_CSRF_ENABLED"] = True
    response = logged_in.post("/settings/", data={"name": "No token"})
    assert response.status_code == 400
    assert b"CSRF" in response.data


def test_htmx_post_without_csrf_header_is_refused(app, logged_in):
    app.config["WTF_CSRF_ENABLED"] = True
    response = logged_in.post(
        "/settings/members/invite", data={"email": "x@y.example"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400


def test_htmx_post_with_csrf_header_passes_csrf(app, logged_in):
    app.config["WTF_CSRF_ENABLED"] = True
    page = logged_in.get("/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = logged_in.post(
        "/settings/members/invite",
        data={"email": "not-an-email", "role": "editor"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 422  # past CSRF; the form error is about the address
    assert b"Invalid email address" in response.data
