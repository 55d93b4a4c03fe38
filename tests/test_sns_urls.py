"""SNS certificate and subscription URLs (W3): a URL that any parser could read as another
host than ``sns.<region>.amazonaws.com`` is refused before anything is fetched.

The corpus below is written from the class of attack (parser differentials between the check
and the fetch: userinfo, backslashes, ports, percent-escapes, stripped control characters,
look-alike characters, trailing dots, fragments and queries that move the authority), not from
one example. Each case is posted as a correctly signed SNS message to the real endpoint.
"""

from __future__ import annotations

import pytest

from tests.test_provider_webhooks import (  # noqa: F401 - fixture
    CERT_URL,
    TOPIC,
    configure,
    ses_complaint,
    sns,
    sns_message,
)
from tests.test_tracking_helpers import make_sent_message
from webapp.services.provider_events.ses import sns_url

HOST = "sns.eu-west-1.amazonaws.com"
HOSTILE_HOSTS = [
    "127.0.0.1:5250\\@" + HOST,
    "127.0.0.1:5250@" + HOST,
    "user@" + HOST,
    "user:secret@" + HOST,
    ":@" + HOST,
    HOST + "@evil.example",
    HOST + ":@evil.example",
    HOST + "\\@evil.example",
    HOST + "%2F@evil.example",
    HOST + "%40evil.example",
    "evil.example#@" + HOST,
    "evil.example?@" + HOST,
    "evil.example\\" + HOST,
    "evil.example%5C@" + HOST,
    HOST + ":443",
    HOST + ":8443",
    HOST + ":",
    HOST + ".",
    HOST + ".evil.example",
    HOST + ".cn.evil.example",
    HOST + "%00.evil.example",
    HOST + "\x00.evil.example",
    "sns%2Eeu-west-1.amazonaws.com",
    "%73ns.eu-west-1.amazonaws.com",
    "SNS.EU-WEST-1.AMAZONAWS.COM",
    "sns.eu-west-1.amazon\taws.com",
    "sns.eu-west-1.amazon\naws.com",
    "sns.eu-west-1.amazon\raws.com",
    "sns.eu-west-1.amazonaws\u3002com",  # ideographic full stop, read as "." by IDNA
    "sns.eu-west-1.amazonaws\uff0ecom",  # full-width full stop
    "\u0455ns.eu-west-1.amazonaws.com",  # Cyrillic dze looks like "s"
    "sns.eu-west-1.amazonaws.com\uff0f@evil.example",  # full-width solidus
    "sns.amazonaws.com",
    "sns..amazonaws.com",
    "sns.eu_west_1.amazonaws.com",
    "sns.eu-west-1.amazonaws.co",
    "xsns.eu-west-1.amazonaws.com",
    "eu-west-1.sns.amazonaws.com",
    "127.0.0.1",
    "2130706433",
    "0x7f.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",
    "localhost",
]
HOSTILE_CERT_URLS = [
    *(f"https://{host}/SimpleNotificationService-x.pem" for host in HOSTILE_HOSTS),
    f"http://{HOST}/SimpleNotificationService-x.pem",
    f"HTTPS://{HOST}/SimpleNotificationService-x.pem",
    f"https:/{HOST}/SimpleNotificationService-x.pem",
    f"https:///{HOST}/SimpleNotificationService-x.pem",
    f"https:\\\\{HOST}/SimpleNotificationService-x.pem",
    f"//{HOST}/SimpleNotificationService-x.pem",
    f"{HOST}/SimpleNotificationService-x.pem",
    f" https://{HOST}/SimpleNotificationService-x.pem",
    f"https://{HOST}/SimpleNotificationService-x.pem\n",
    f"https://{HOST}/SimpleNotificationService-x.pem\r\nHost: evil.example",
    f"https://{HOST}/SimpleNotificationService-x.pem#@evil.example",
    f"https://{HOST}/SimpleNotificationService-x.pem?@evil.example",
    f"https://{HOST}/SimpleNotificationService-x.pem?x=1",
    f"https://{HOST}/../SimpleNotificationService-x.pem",
    f"https://{HOST}/a/../../SimpleNotificationService-x.pem",
    f"https://{HOST}/%2e%2e/SimpleNotificationService-x.pem",
    f"https://{HOST}/SimpleNotificationService-x%2Epem",
    f"https://{HOST}/SimpleNotificationService-x.pem%00",
    f"https://{HOST}/SimpleNotificationService-x.pem\x00.txt",
    f"https://{HOST}/SimpleNotificationService-x.txt",
    f"https://{HOST}/",
    f"https://{HOST}",
    f"https://{HOST}\\SimpleNotificationService-x.pem",
    f"https://{HOST}/" + "a" * 3000 + ".pem",
    "",
    None,
    123,
    ["https://" + HOST + "/x.pem"],
    {"url": "https://" + HOST + "/x.pem"},
]
SUBSCRIBE = "/?Action=ConfirmSubscription&TopicArn=" + TOPIC + "&Token=abc"
HOSTILE_SUBSCRIBE_URLS = [
    *(f"https://{host}{SUBSCRIBE}" for host in HOSTILE_HOSTS),
    f"http://{HOST}{SUBSCRIBE}",
    f"https://{HOST}{SUBSCRIBE}#@evil.example",
    f"https://{HOST}{SUBSCRIBE}&next=https://evil.example/\\@x",
    f"https://{HOST}{SUBSCRIBE}%ZZ",
    f"https://{HOST}{SUBSCRIBE}\n",
    f"https://{HOST}/?Action=Unsubscribe&Token=abc",
    f"https://{HOST}/redirect{SUBSCRIBE}",
    f"https://{HOST}/SimpleNotificationService-x.pem",
    None,
]


def test_genuine_sns_urls_are_accepted():
    for region_host in (HOST, "sns.us-gov-west-1.amazonaws.com", "sns.cn-north-1.amazonaws.com.cn"):
        url = f"https://{region_host}/SimpleNotificationService-0123abcd.pem"
        assert sns_url(url, certificate=True) == url
        assert sns_url(f"https://{region_host}{SUBSCRIBE}", certificate=False)


@pytest.mark.parametrize("url", HOSTILE_CERT_URLS, ids=repr)
def test_hostile_certificate_urls_are_refused(url):
    assert sns_url(url, certificate=True) is None


@pytest.mark.parametrize("url", HOSTILE_SUBSCRIBE_URLS, ids=repr)
def test_hostile_subscribe_urls_are_refused(url):
    assert sns_url(url, certificate=False) is None


def test_no_hostile_certificate_url_is_fetched_by_the_endpoint(client, org, sns):  # noqa: F811
    key, fetched = sns
    endpoint = configure(org, "ses", topic_arns=TOPIC)
    inner = ses_complaint(make_sent_message(org))
    statuses = set()
    for url in HOSTILE_CERT_URLS:
        body = sns_message(key, "Notification", inner, SigningCertURL=url)
        statuses.add(client.post(endpoint, data=body).status_code)
    assert statuses == {401}
    assert fetched == [], "a refused certificate URL is never fetched"
    genuine = sns_message(key, "Notification", inner)
    assert client.post(endpoint, data=genuine).status_code == 200
    assert fetched == [CERT_URL]


def test_no_hostile_subscribe_url_is_fetched_even_when_signed(client, org, sns):  # noqa: F811
    key, fetched = sns
    endpoint = configure(org, "ses", topic_arns=TOPIC)
    for url in HOSTILE_SUBSCRIBE_URLS:
        body = sns_message(key, "SubscriptionConfirmation", SubscribeURL=url, Token="abc")
        response = client.post(endpoint, data=body)
        assert response.status_code == 401, url
    assert fetched == [CERT_URL], "only the (genuine) certificate was fetched"


def test_a_certificate_host_that_cannot_be_reached_is_a_503_not_a_500(client, org, sns, app):  # noqa: F811
    key, _ = sns

    def unreachable(url: str) -> bytes:
        raise ConnectionRefusedError(111, "Connection refused")

    app.extensions["herald.https_fetch"] = unreachable
    endpoint = configure(org, "ses", topic_arns=TOPIC)
    body = sns_message(key, "Notification", ses_complaint(make_sent_message(org)))
    response = client.post(endpoint, data=body)
    assert response.status_code == 503  # SNS retries a 5xx later
