"""Image uploads: checked, re-encoded, served publicly with long cache headers, no listing,
removed with the organization; the brand accepts an uploaded logo."""

from __future__ import annotations

import io

from PIL import Image as PILImage
from sqlalchemy import delete, func, select

from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, Image, Organization


def picture(fmt: str = "PNG", size=(40, 20), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    colour = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)  # half transparent
    PILImage.new(mode, size, colour).save(out, fmt, **save)
    return out.getvalue()


def upload(client, data: bytes, name: str = "logo.png"):
    return client.post("/images/", data={"image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")  # fmt: skip


def fetch(app, url: str):
    path = url.split("://", 1)[1].split("/", 1)[1]
    return app.test_client().get("/" + path)  # a fresh client: no session, like a mail client


def test_uploaded_image_is_served_publicly_with_long_cache(app, logged_in):
    response = upload(logged_in, picture())
    assert response.status_code == 201
    body = response.get_json()
    assert (body["width"], body["height"]) == (40, 20)
    assert body["url"].startswith(app.config["HERALD"].public_url + "/media/")
    assert body["url"].endswith(".png")

    served = fetch(app, body["url"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert "immutable" in served.headers["Cache-Control"]
    assert "Set-Cookie" not in served.headers
    assert PILImage.open(io.BytesIO(served.data)).size == (40, 20)
    assert db.session.scalars(select(AuditLog.action)).all() == ["image.upload"]
    again = app.test_client().get(
        served.request.path, headers={"If-None-Match": served.headers["ETag"]}
    )
    assert again.status_code == 304


def test_photos_are_reencoded_without_metadata_and_scaled_down(app, logged_in):
    exif = PILImage.Exif()
    exif[0x013B] = "Someone Private"  # Artist
    exif[0x8825] = {2: (48, 51, 0)}  # GPS info
    raw = picture("JPEG", size=(3000, 1500), exif=exif.tobytes())
    assert b"Someone Private" in raw
    body = upload(logged_in, raw, "holiday.jpg").get_json()
    assert (body["width"], body["height"]) == (1200, 600)
    served = fetch(app, body["url"])
    assert served.mimetype == "image/jpeg"
    assert b"Someone Private" not in served.data
    assert not PILImage.open(io.BytesIO(served.data)).getexif()


def test_webp_and_gif_leave_as_formats_every_mail_client_shows(app, logged_in):
    webp = upload(logged_in, picture("WEBP"), "a.webp").get_json()
    assert webp["url"].endswith(".jpg")
    transparent = upload(logged_in, picture("WEBP", mode="RGBA"), "b.webp").get_json()
    assert transparent["url"].endswith(".png")
    gif = upload(logged_in, picture("GIF", mode="P"), "c.gif").get_json()
    assert fetch(app, gif["url"]).mimetype == "image/png"


def test_refused_uploads_say_why(logged_in):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        (svg, "x.svg", "not an image Herald can read"),
        (b"hello", "notes.txt", "not an image Herald can read"),
        (picture(size=(400, 400))[:200], "cut.png", "not an image Herald can read"),
        (picture("BMP"), "old.bmp", "This is a BMP file. Upload PNG, JPEG, GIF, WebP."),
        (b"", "empty.png", "The file is empty."),
        (b"\x89PNG" + b"0" * (5 * 1024 * 1024), "huge.png", "images can be at most 5 MB"),
    ]
    for data, name, message in cases:
        response = upload(logged_in, data, name)
        assert response.status_code == 422, name
        assert message in response.get_json()["error"], name
    assert db.session.scalar(select(func.count()).select_from(Image)) == 0


def test_viewers_cannot_upload(client, org, login_as):
    viewer = factories.make_user(org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    assert upload(client, picture()).status_code == 403


def test_no_listing_and_unknown_names_are_404(app, logged_in):
    url = upload(logged_in, picture()).get_json()["url"]
    public = app.test_client()
    name = url.rsplit("/", 1)[1]
    assert public.get("/media/").status_code == 404
    assert public.get("/media").status_code == 404
    assert public.get("/media/" + name.replace(".png", ".jpg")).status_code == 404
    assert public.get("/media/00000000-0000-7000-8000-000000000000.png").status_code == 404
    assert public.get("/media/../images/").status_code == 404


def test_the_same_picture_twice_is_stored_once(logged_in):
    first = upload(logged_in, picture()).get_json()["url"]
    second = upload(logged_in, picture(), "copy.png").get_json()["url"]
    assert first == second
    assert db.session.scalar(select(func.count()).select_from(Image)) == 1


def test_images_are_removed_with_the_organization(app, logged_in, org, other_org, login_as):
    url = upload(logged_in, picture()).get_json()["url"]
    db.session.add(Image(org_id=other_org.id, content_type="image/png", data=picture(),
                         byte_size=1, width=40, height=20, sha256="0" * 64))  # fmt: skip
    db.session.commit()
    db.session.execute(delete(Organization).where(Organization.id == org.id))
    db.session.commit()
    assert fetch(app, url).status_code == 404
    assert db.session.scalars(select(Image.org_id)).all() == [other_org.id]


def test_brand_takes_an_uploaded_logo(app, logged_in):
    url = upload(logged_in, picture()).get_json()["url"]
    assert url.startswith("http://")  # the test server's public URL is plain http
    page = logged_in.get("/settings/brand").get_data(as_text=True)
    assert 'data-upload-into="logo_url"' in page and "Upload a logo" in page
    form = {"logo_url": url, "primary_color": "#aa3300", "text_color": "#111111",
            "background_color": "#fafafa", "font_family": "Helvetica, Arial, sans-serif",
            "footer_text": "", "postal_address": "1 Main St", "sender_name": "Acme"}  # fmt: skip
    assert logged_in.post("/settings/brand", data=form).status_code == 302
    preview = logged_in.post("/templates/preview", data={
        "subject": "Hi", "body_mjml": "<mj-section><mj-column><mj-text>x</mj-text></mj-column>"
        "</mj-section>", "category": "updates"}).get_data(as_text=True)  # fmt: skip
    assert url in preview
    elsewhere = {**form, "logo_url": "http://elsewhere.example.com/media/x.png"}
    assert logged_in.post("/settings/brand", data=elsewhere).status_code == 422
