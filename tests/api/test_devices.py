"""Device registration, follows, alerts and quiet hours through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from push.devices import MAX_FOLLOWS
from push.models import Device, MessageKind, OutboxMessage
from tests import factories


def register(client: FlaskClient, token: str = "token-aaa", locale: str = "kk") -> dict[str, Any]:
    response = client.post(
        "/v1/devices", json={"token": token, "platform": "android", "locale": locale}
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def auth(device: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Device {device['secret']}"}


def test_register_read_and_never_see_the_token(client: FlaskClient) -> None:
    device = register(client)
    assert set(device) == {"id", "secret"}
    response = client.get(f"/v1/devices/{device['id']}", headers=auth(device))
    assert response.status_code == 200
    body = response.get_json()
    assert body["locale"] == "kk"
    assert "token-aaa" not in response.get_data(as_text=True)
    assert "secret" not in body
    assert "no-store" in response.headers["Cache-Control"]


def test_the_same_token_with_its_secret_is_the_same_device(
    client: FlaskClient, session: Session
) -> None:
    first = register(client, locale="kk")
    again = client.post(
        "/v1/devices",
        json={"token": "token-aaa", "platform": "android", "locale": "ru"},
        headers=auth(first),
    )
    assert again.status_code == 201, again.get_json()
    assert again.get_json() == first  # same id, same secret: re-registering is idempotent
    body = client.get(f"/v1/devices/{first['id']}", headers=auth(first)).get_json()
    assert body["locale"] == "ru"
    assert len(list(session.scalars(select(Device)))) == 1


def _victim(client: FlaskClient) -> dict[str, Any]:
    victim = register(client, token="victim-token", locale="tk")
    url = f"/v1/devices/{victim['id']}"
    assert client.put(f"{url}/follows/kz-kordai", headers=auth(victim)).status_code == 204
    return victim


def test_a_known_token_without_its_secret_is_refused(client: FlaskClient) -> None:
    """Review 1f: knowing a phone's FCM token no longer hands over its device."""
    victim = _victim(client)
    attacker = register(client, token="attacker-token")
    for headers in ({}, auth(attacker), {"Authorization": "Device not-the-secret"}):
        response = client.post(
            "/v1/devices",
            json={"token": "victim-token", "platform": "android", "locale": "tk"},
            headers=headers,
        )
        assert response.status_code == 409, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert "secret" not in response.get_json()
    body = client.get(f"/v1/devices/{victim['id']}", headers=auth(victim))
    assert body.status_code == 200  # the owner's secret still works
    assert body.get_json()["follows"] == ["kz-kordai"]


def test_patching_to_another_devices_token_is_refused(
    client: FlaskClient, session: Session
) -> None:
    """Review 1f: a PATCH to a victim's token used to delete the victim's device."""
    victim = _victim(client)
    attacker = register(client, token="attacker-token")
    response = client.patch(
        f"/v1/devices/{attacker['id']}", json={"token": "victim-token"}, headers=auth(attacker)
    )
    assert response.status_code == 409, response.get_json()
    assert client.get(f"/v1/devices/{victim['id']}", headers=auth(victim)).status_code == 200
    tokens = {row.id: row.token for row in session.execute(select(Device.id, Device.token))}
    assert tokens == {victim["id"]: "victim-token", attacker["id"]: "attacker-token"}


def test_secret_opens_only_its_own_device(client: FlaskClient) -> None:
    mine = register(client, token="token-mine")
    theirs = register(client, token="token-theirs")
    for method in ("get", "patch", "delete"):
        call = getattr(client, method)
        kwargs = {"json": {"locale": "ru"}} if method == "patch" else {}
        response = call(f"/v1/devices/{theirs['id']}", headers=auth(mine), **kwargs)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Device")
    assert client.get(f"/v1/devices/{mine['id']}").status_code == 401


def test_register_validation(client: FlaskClient) -> None:
    bad = [
        {"token": "t", "platform": "symbian", "locale": "kk"},
        {"token": "t", "platform": "ios", "locale": "fr"},
        {"token": "", "platform": "ios", "locale": "kk"},
        {"token": "t", "platform": "ios", "locale": "kk", "is_admin": True},
        {"platform": "ios", "locale": "kk"},
    ]
    for body in bad:
        assert client.post("/v1/devices", json=body).status_code == 422, body


def test_follow_unfollow_and_limit(client: FlaskClient, session: Session) -> None:
    device = register(client)
    url = f"/v1/devices/{device['id']}/follows"
    assert client.put(f"{url}/kz-kordai", headers=auth(device)).status_code == 204
    assert client.put(f"{url}/kz-kordai", headers=auth(device)).status_code == 204
    assert client.put(f"{url}/xx-nowhere", headers=auth(device)).status_code == 404
    body = client.get(f"/v1/devices/{device['id']}", headers=auth(device)).get_json()
    assert body["follows"] == ["kz-kordai"]
    assert client.delete(f"{url}/kz-kordai", headers=auth(device)).status_code == 204
    assert client.delete(f"{url}/kz-kordai", headers=auth(device)).status_code == 404

    for n in range(MAX_FOLLOWS + 1):
        factories.checkpoint(session, id=f"kz-test-{n}", names={"en": "T"})
    session.commit()
    for n in range(MAX_FOLLOWS):
        assert client.put(f"{url}/kz-test-{n}", headers=auth(device)).status_code == 204
    over = client.put(f"{url}/kz-test-{MAX_FOLLOWS}", headers=auth(device))
    assert over.status_code == 422


def test_follow_queues_topic_subscriptions(client: FlaskClient, session: Session) -> None:
    device = register(client, token="token-sub", locale="tk")
    client.put(f"/v1/devices/{device['id']}/follows/kz-kordai", headers=auth(device))
    rows = session.scalars(
        select(OutboxMessage.topic).where(
            OutboxMessage.kind == MessageKind.TOPIC_SUBSCRIBE, OutboxMessage.token == "token-sub"
        )
    )
    assert set(rows) == {"all.tk", "cp.kz-kordai.tk", "country.KZ.tk"}
    client.patch(f"/v1/devices/{device['id']}", json={"locale": "uz"}, headers=auth(device))
    unsubscribed = session.scalars(
        select(OutboxMessage.topic).where(OutboxMessage.kind == MessageKind.TOPIC_UNSUBSCRIBE)
    )
    assert set(unsubscribed) == {"all.tk", "cp.kz-kordai.tk", "country.KZ.tk"}


def test_alerts_create_list_delete(client: FlaskClient) -> None:
    device = register(client)
    url = f"/v1/devices/{device['id']}/alerts"
    alert = {"checkpoint": "kz-kordai", "direction": "exit", "lane": "car", "below_minutes": 30}
    created = client.post(url, json=alert, headers=auth(device))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["armed"] is True
    no_lane = client.post(url, json={**alert, "lane": "bus"}, headers=auth(device))
    assert no_lane.status_code == 422
    fractional = client.post(url, json={**alert, "below_minutes": 30.5}, headers=auth(device))
    assert fractional.status_code == 422
    listed = client.get(f"/v1/devices/{device['id']}", headers=auth(device)).get_json()["alerts"]
    assert [a["id"] for a in listed] == [body["id"]]
    assert client.delete(f"{url}/{body['id']}", headers=auth(device)).status_code == 204
    assert client.delete(f"{url}/{body['id']}", headers=auth(device)).status_code == 404


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"timezone": "Asia/Almaty", "quiet_hours": {"start": "22:00", "end": "07:00"}}, 200),
        ({"quiet_hours": {"start": "22:00", "end": "07:00"}}, 422),
        ({"timezone": "Mars/Olympus"}, 422),
        ({"timezone": "Asia/Almaty", "quiet_hours": {"start": "25:00", "end": "07:00"}}, 422),
        ({"token": "token-new"}, 200),
        ({"secret_hash": "x"}, 422),
    ],
)
def test_patch(client: FlaskClient, patch: dict[str, Any], status: int) -> None:
    device = register(client)
    response = client.patch(f"/v1/devices/{device['id']}", json=patch, headers=auth(device))
    assert response.status_code == status, response.get_json()
    stored = client.get(f"/v1/devices/{device['id']}", headers=auth(device)).get_json()
    for field, value in patch.items():
        if field in stored:  # the token is write-only: never served back
            assert (stored[field] == value) is (status == 200), (field, stored[field])


def test_delete_removes_everything_and_leaves_topics(client: FlaskClient, session: Session) -> None:
    device = register(client, token="token-gone")
    client.put(f"/v1/devices/{device['id']}/follows/kz-kordai", headers=auth(device))
    assert client.delete(f"/v1/devices/{device['id']}", headers=auth(device)).status_code == 204
    assert session.get(Device, device["id"]) is None
    left = session.scalars(
        select(OutboxMessage.topic).where(
            OutboxMessage.kind == MessageKind.TOPIC_UNSUBSCRIBE,
            OutboxMessage.token == "token-gone",
        )
    )
    assert set(left) == {"all.kk", "cp.kz-kordai.kk", "country.KZ.kk"}


def test_register_with_an_installation_id_a_token_or_both(
    client: FlaskClient, session: Session
) -> None:
    only_fid = client.post(
        "/v1/devices", json={"fid": "fid-aaa", "platform": "android", "locale": "ru"}
    )
    assert only_fid.status_code == 201, only_fid.get_json()
    both = client.post(
        "/v1/devices",
        json={"token": "token-b", "fid": "fid-b", "platform": "ios", "locale": "kk"},
    )
    assert both.status_code == 201
    neither = client.post(
        "/v1/devices", json={"platform": "ios", "locale": "kk"}, headers={"Accept-Language": "ru"}
    )
    assert neither.status_code == 422
    errors = neither.get_json()["errors"]
    assert errors["token"] == errors["fid"] == ["Это поле обязательно для заполнения."]
    stored = {d.fid: d.token for d in session.scalars(select(Device))}
    assert stored == {"fid-aaa": None, "fid-b": "token-b"}
    # a fid is no secret either: registering it again needs the device's secret
    again = client.post(
        "/v1/devices", json={"fid": "fid-aaa", "platform": "android", "locale": "kk"}
    )
    assert again.status_code == 409
    # a device with only an installation ID has no token to subscribe to topics with
    subscribed = session.scalars(
        select(OutboxMessage.token).where(OutboxMessage.kind == MessageKind.TOPIC_SUBSCRIBE)
    )
    assert set(subscribed) == {"token-b"}


def test_last_seen_is_written_at_most_hourly(client: FlaskClient, session: Session) -> None:
    device = register(client)
    row = session.get(Device, device["id"])
    assert row is not None
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    row.last_seen_at = two_hours_ago
    session.commit()
    assert client.get(f"/v1/devices/{device['id']}", headers=auth(device)).status_code == 200
    session.expire_all()
    seen = session.get(Device, device["id"])
    assert seen is not None
    assert seen.last_seen_at is not None
    assert seen.last_seen_at > datetime.now(UTC) - timedelta(minutes=1)
    half_an_hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    seen.last_seen_at = half_an_hour_ago
    session.commit()
    url = f"/v1/devices/{device['id']}/follows/kz-kordai"
    assert client.put(url, headers=auth(device)).status_code == 204
    assert client.get(f"/v1/devices/{device['id']}", headers=auth(device)).status_code == 200
    session.expire_all()
    kept = session.get(Device, device["id"])
    assert kept is not None
    assert kept.last_seen_at == half_an_hour_ago  # within the hour: no write
