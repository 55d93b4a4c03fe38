"""Provider webhooks (W1-W7). Every signature is made here with keys generated here,
following each provider's documented algorithm. The one thing that cannot run here is the
HTTPS fetch of Amazon's SNS signing certificate: the fetcher is injected and serves a
certificate this test generated (and records what was fetched)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from tests.test_tracking_helpers import make_sent_message, run_drain
from webapp.extensions import db
from webapp.models import MessageEvent, ProviderWebhookLog
from webapp.services.consent.suppressions import find
from webapp.services.provider_events.intake import save_config
from webapp.services.provider_events.ses import string_to_sign
from webapp.services.provider_events.standard import new_secret, sign

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:herald-events"


def configure(org, provider, **values):
    config = save_config(org.id, provider, values)
    db.session.commit()
    return f"/webhooks/{provider}/{config.endpoint_key}"


def verdicts(org):
    return [
        log.verdict
        for log in db.session.scalars(
            select(ProviderWebhookLog)
            .where(ProviderWebhookLog.org_id == org.id)
            .order_by(ProviderWebhookLog.created_at)
        )
    ]


def stored(message, type_=None):
    statement = (
        select(func.count()).select_from(MessageEvent).where(MessageEvent.message_id == message.id)
    )
    if type_:
        statement = statement.where(MessageEvent.type == type_)
    return db.session.scalar(statement)


# --- SendGrid (W1) ----------------------------------------------------------------------


@pytest.fixture
def sendgrid_key():
    return ec.generate_private_key(ec.SECP256R1())


def sendgrid_post(client, url, key, events, *, stamp=None):
    body = json.dumps(events).encode()
    stamp = str(stamp or int(time.time()))
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )


def public_der(key) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_sendgrid_signed_events_update_the_message(client, org, sendgrid_key):
    url = configure(org, "sendgrid", public_key=public_der(sendgrid_key))
    message = make_sent_message(org)
    now = int(time.time())
    events = [
        {
            "event": "delivered",
            "sg_event_id": "d1",
            "timestamp": now,
            "email": message.to_email,
            "herald_message_id": str(message.id),
        },
        {
            "event": "open",
            "sg_event_id": "o1",
            "timestamp": now,
            "email": message.to_email,
            "herald_message_id": str(message.id),
            "sg_machine_open": True,
        },
    ]
    assert sendgrid_post(client, url, sendgrid_key, events).status_code == 200
    run_drain()
    db.session.refresh(message)
    assert message.status == "delivered"
    event = db.session.scalars(select(MessageEvent).where(MessageEvent.type == "opened")).one()
    assert event.is_machine and event.machine_reason == "provider_machine_open"


def test_sendgrid_rejects_wrong_key_tampering_and_old_timestamps(client, org, sendgrid_key):
    url = configure(org, "sendgrid", public_key=public_der(sendgrid_key))
    message = make_sent_message(org)
    events = [
        {"event": "spamreport", "sg_event_id": "s1", "timestamp": 1, "email": message.to_email}
    ]
    other = ec.generate_private_key(ec.SECP256R1())
    assert sendgrid_post(client, url, other, events).status_code == 401
    old = int(time.time()) - 3600
    assert sendgrid_post(client, url, sendgrid_key, events, stamp=old).status_code == 401
    body = json.dumps(events).encode()
    stamp = str(int(time.time()))
    signature = sendgrid_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    tampered = client.post(
        url,
        data=body.replace(b"s1", b"s2"),
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )
    assert tampered.status_code == 401
    assert verdicts(org) == ["rejected", "rejected", "rejected"]
    assert find(org.id, message.to_email) is None, "nothing acted on"


def test_unknown_endpoint_key_is_404(client, org):
    configure(org, "sendgrid", public_key="x")
    assert client.post("/webhooks/sendgrid/not-a-key", data=b"[]").status_code == 404
    assert client.post("/webhooks/nosuch/abc", data=b"[]").status_code == 404


# --- Mailgun (W2) -----------------------------------------------------------------------


def mailgun_body(key: str, event_data: dict, *, token="tok-1", stamp=None) -> bytes:  # noqa: S107 - a nonce
    stamp = str(stamp or int(time.time()))
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": stamp, "token": token, "signature": signature},
            "event-data": event_data,
        }
    ).encode()


def test_mailgun_verifies_and_rejects_replayed_tokens(client, org):
    url = configure(org, "mailgun", signing_key="key-mailgun-test")
    message = make_sent_message(org)
    data = {
        "event": "failed",
        "severity": "permanent",
        "id": "mg-1",
        "timestamp": time.time(),
        "recipient": message.to_email,
        "user-variables": {"herald_message_id": str(message.id)},
    }
    body = mailgun_body("key-mailgun-test", data)
    assert client.post(url, data=body, content_type="application/json").status_code == 200
    assert client.post(url, data=body, content_type="application/json").status_code == 401
    forged = mailgun_body("wrong-key", data, token="tok-2")
    assert client.post(url, data=forged, content_type="application/json").status_code == 401
    assert verdicts(org) == ["accepted", "rejected", "rejected"]
    assert find(org.id, message.to_email).reason == "hard_bounce"
    run_drain()
    db.session.refresh(message)
    assert message.status == "bounced"


# --- Amazon SES via SNS (W3) ------------------------------------------------------------


@pytest.fixture
def sns(app):
    """An RSA key and self-signed certificate standing in for Amazon's SNS certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return cert.public_bytes(serialization.Encoding.PEM) if url.endswith(".pem") else b"ok"

    app.extensions["herald.https_fetch"] = fetch
    from webapp.services.provider_events import ses

    ses._certificates.clear()
    return key, fetched


def sns_message(key, kind: str, inner: dict | None = None, *, version="1", **extra) -> bytes:
    message = {
        "Type": kind,
        "MessageId": extra.pop("MessageId", "sns-1"),
        "TopicArn": extra.pop("TopicArn", TOPIC),
        "Message": json.dumps(inner) if inner is not None else "confirm",
        "Timestamp": "2026-11-24T05:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": extra.pop("SigningCertURL", CERT_URL),
        **extra,
    }
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS v1 is SHA1
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
    message["Signature"] = base64.b64encode(signature).decode()
    return json.dumps(message).encode()


def ses_complaint(message) -> dict:
    return {
        "eventType": "Complaint",
        "mail": {"messageId": "ses-1", "tags": {"herald_message_id": [str(message.id)]}},
        "complaint": {
            "complainedRecipients": [{"emailAddress": message.to_email}],
            "timestamp": "2026-11-24T05:00:00.000Z",
        },
    }


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_signature_versions_and_complaint_suppresses_at_once(client, org, sns, version):
    key, fetched = sns
    url = configure(org, "ses", topic_arns=TOPIC)
    message = make_sent_message(org)
    body = sns_message(key, "Notification", ses_complaint(message), version=version)
    assert client.post(url, data=body).status_code == 200
    assert find(org.id, message.to_email).reason == "complaint"  # W7: before any drain
    assert fetched == [CERT_URL]


def test_ses_rejects_foreign_cert_url_topic_and_bad_signature(client, org, sns):
    key, fetched = sns
    url = configure(org, "ses", topic_arns=TOPIC)
    message = make_sent_message(org)
    inner = ses_complaint(message)
    evil = "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem"
    assert (
        client.post(
            url, data=sns_message(key, "Notification", inner, SigningCertURL=evil)
        ).status_code
        == 401
    )
    http = CERT_URL.replace("https", "http")
    assert (
        client.post(
            url, data=sns_message(key, "Notification", inner, SigningCertURL=http)
        ).status_code
        == 401
    )
    other_topic = sns_message(key, "Notification", inner, TopicArn="arn:aws:sns:eu-west-1:1:other")
    assert client.post(url, data=other_topic).status_code == 403
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert client.post(url, data=sns_message(other_key, "Notification", inner)).status_code == 401
    assert fetched == [CERT_URL], "foreign certificate URLs are never fetched"
    assert find(org.id, message.to_email) is None


def test_ses_subscribe_url_is_fetched_only_after_verification(client, org, sns):
    key, fetched = sns
    url = configure(org, "ses", topic_arns=TOPIC)
    subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sns_message(other_key, "SubscriptionConfirmation", SubscribeURL=subscribe, Token="abc")
    assert client.post(url, data=forged).status_code == 401
    assert subscribe not in fetched
    genuine = sns_message(key, "SubscriptionConfirmation", SubscribeURL=subscribe, Token="abc")
    assert client.post(url, data=genuine).status_code == 200
    assert fetched[-1] == subscribe


# --- Postmark (W4) ----------------------------------------------------------------------


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_postmark_basic_auth(client, org):
    url = configure(org, "postmark", username="herald", password="s3cret-pass")
    message = make_sent_message(org)
    record = json.dumps(
        {
            "RecordType": "Delivery",
            "MessageID": "pm-1",
            "Recipient": message.to_email,
            "DeliveredAt": "2026-11-24T05:00:00Z",
            "Metadata": {"herald_message_id": str(message.id)},
        }
    )
    assert client.post(url, data=record).status_code == 401
    wrong = client.post(url, data=record, headers=basic("herald", "nope"))
    assert wrong.status_code == 401 and "Basic" in wrong.headers["WWW-Authenticate"]
    assert client.post(url, data=record, headers=basic("herald", "s3cret-pass")).status_code == 200
    run_drain()
    db.session.refresh(message)
    assert message.status == "delivered"


# --- Resend / Svix (W5) -----------------------------------------------------------------


def svix_headers(secrets: list[str], msg_id: str, body: bytes, stamp: int | None = None) -> dict:
    stamp = stamp or int(time.time())
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(stamp),
        "svix-signature": " ".join(sign(s, msg_id, stamp, body) for s in secrets),
    }


def test_resend_svix_signatures_rotation_and_tolerance(client, org):
    secret, previous = new_secret(), new_secret()
    url = configure(org, "resend", signing_secret=secret)
    message = make_sent_message(org)
    body = json.dumps(
        {
            "type": "email.clicked",
            "created_at": "2026-11-24T05:00:00Z",
            "data": {
                "email_id": "re-1",
                "to": [message.to_email],
                "tags": {"herald_message_id": str(message.id)},
                "click": {
                    "link": "https://jobs.example.com/apply",
                    "userAgent": "Mozilla/5.0 (X11) Firefox/130",
                },
            },
        }
    ).encode()
    rotated = svix_headers([previous, secret], "msg_1", body)  # old and new signature
    assert client.post(url, data=body, headers=rotated).status_code == 200
    assert (
        client.post(url, data=body, headers=svix_headers([previous], "msg_2", body)).status_code
        == 401
    )
    stale = svix_headers([secret], "msg_3", body, stamp=int(time.time()) - 600)
    assert client.post(url, data=body, headers=stale).status_code == 401
    run_drain()
    db.session.refresh(message)
    assert message.click_count == 1


# --- Deduplication (W6) -----------------------------------------------------------------


def test_the_same_provider_event_is_stored_once_and_acts_once(client, org):
    url = configure(org, "mailgun", signing_key="key-mailgun-test")
    message = make_sent_message(org)
    data = {
        "event": "complained",
        "id": "mg-dup",
        "timestamp": time.time(),
        "recipient": message.to_email,
        "user-variables": {"herald_message_id": str(message.id)},
    }
    for token in ("tok-a", "tok-b", "tok-c"):  # three genuine deliveries of one event
        body = mailgun_body("key-mailgun-test", data, token=token)
        assert client.post(url, data=body).status_code == 200
    run_drain()
    assert stored(message, "complained") == 1
    assert verdicts(org) == ["accepted", "duplicate", "duplicate"]
    # Even if Redis forgot what it saw, the database keeps one row per event.
    from webapp.redis_client import get_redis

    for key in get_redis().scan_iter("herald:provider-event:*"):
        get_redis().delete(key)
    client.post(url, data=mailgun_body("key-mailgun-test", data, token="tok-d"))
    run_drain()
    assert stored(message, "complained") == 1


def test_settings_page_saves_keys_keeps_secrets_and_shows_the_call_log(logged_in, org):
    logged_in.post("/settings/providers/mailgun", data={"signing_key": "key-one"})
    page = logged_in.get("/settings/providers").get_data(as_text=True)
    assert "/webhooks/mailgun/" in page and "key-one" not in page, "secrets are never shown"
    logged_in.post("/settings/providers/mailgun", data={"signing_key": ""})  # keep it
    url = page.split('value="http://herald.test', 1)[1].split('"', 1)[0]
    data = {
        "event": "delivered",
        "id": "mg-x",
        "timestamp": time.time(),
        "recipient": "a@example.com",
    }
    assert logged_in.post(url, data=mailgun_body("key-one", data, token="t-1")).status_code == 200
    assert logged_in.post(url, data=mailgun_body("other", data, token="t-2")).status_code == 401
    page = logged_in.get("/settings/providers").get_data(as_text=True)
    assert "accepted" in page and "rejected" in page and "signature does not match" in page
