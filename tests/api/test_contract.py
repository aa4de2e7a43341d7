"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document,
for every operation, and checks each answer against that document.

The checks are schemathesis's defaults: no 5xx, every status code declared, declared
content types, bodies and headers as the schema says, schema-valid requests accepted and
invalid ones refused, 405 with Allow for undeclared methods. Every example is sent by each
kind of caller the operation knows — anonymous, a border service's key, a traveller's
device, and console users of every role — drawn by Hypothesis with the rest of the case,
so a run is the same every time (`derandomize`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.errors import DETAILS, INVALID_JSON
from content.accounts.models import Role
from content.campaigns.models import Campaign
from content.locales import KNOWN_LOCALES, translations
from content.seed import loader
from push.models import Device
from tests import factories

pytestmark = pytest.mark.slow  # fuzzes every operation: minutes, not seconds

#: examples per operation in the fuzzing phase (the coverage phase adds its own boundary
#: cases); with 44 operations this keeps the module at about 90 s of CPU on SQLite
MAX_EXAMPLES = 25

# The document is read from an app that never touches its database: serving
# /openapi.json needs none. Each test sends its requests to the `app` fixture instead.
SPEC_APP = create_app({"database_url": "sqlite://", "request_log": False})
SEED = 20260424


def _schema(phase: str) -> Any:
    phases = {name: {"enabled": name == phase} for name in ("examples", "coverage", "fuzzing")}
    if phase == "coverage":
        phases["examples"]["enabled"] = True
    # a missing If-Match is answered 428 Precondition Required (RFC 6585), which
    # schemathesis does not count among the answers to a missing header
    missing_header = {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]}
    config = SchemathesisConfig.from_dict(
        {"seed": SEED, "phases": phases, "checks": {"missing_required_header": missing_header}}
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", SPEC_APP, config=config)


# Two runs over every operation: random examples, each from a caller drawn with it; and
# the document's examples and boundary values (coverage, which also sends each undeclared
# method and expects 405 with Allow), from each operation's own caller. Schemathesis runs
# the coverage phase only for tests without `given`, hence two tests.
schema = _schema("fuzzing")
boundaries = _schema("coverage")

CHECKPOINTS = ("kz-kordai", "kg-ak-zhol", "uz-yallama")
ACTIONS = ("submit", "return", "approve", "publish", "unpublish", "archive")
USERS = (Role.EDITOR, Role.PUBLISHER, Role.ADMIN, Role.BORDER_OFFICER)


class Callers:
    """Credentials for every kind of caller, made the first time a test asks for them."""

    def __init__(
        self,
        client: FlaskClient,
        agency_key: Callable[..., str],
        login: Callable[..., dict[str, str]],
        session: Session,
    ) -> None:
        self.client = client
        self.session = session
        self.agency_key = agency_key
        self.login = login
        self._headers: dict[str, dict[str, str]] = {}
        self._device: dict[str, Any] | None = None

    def kinds(self, operation: Any) -> list[str]:
        """Who may be behind a request to `operation`: its own callers, and strangers."""
        schemes = {name for item in operation.definition.raw.get("security", []) for name in item}
        if "userToken" in schemes:
            return ["anonymous", *(role.value for role in USERS)]
        if "agencyKey" in schemes:
            return ["anonymous", "agency-KZ", "agency-KG", Role.BORDER_OFFICER.value]
        if "deviceSecret" in schemes:
            return ["anonymous", "device"]
        return ["anonymous", "agency-KZ"]  # a public read with credentials is not cached

    def own(self, operation: Any) -> str:
        """The caller `operation` is for, with every right it needs."""
        own = {"userToken": Role.ADMIN.value, "agencyKey": "agency-KZ", "deviceSecret": "device"}
        schemes = {name for item in operation.definition.raw.get("security", []) for name in item}
        return next((own[name] for name in own if name in schemes), "anonymous")

    def headers(self, kind: str) -> dict[str, str]:
        if kind == "anonymous":
            return {}
        if kind not in self._headers:
            if kind.startswith("agency-"):
                key = self.agency_key(kind.removeprefix("agency-"))
                self._headers[kind] = {"Authorization": f"Bearer {key}"}
            elif kind == "device":
                self._headers[kind] = {"Authorization": f"Device {self.device['secret']}"}
            else:
                role = Role(kind)
                country = "KZ" if role is Role.BORDER_OFFICER else None
                self._headers[kind] = self.login(role, country)
        return self._headers[kind]

    @property
    def device(self) -> dict[str, Any]:
        """A registered device with one queue alert, registered an hour ago (a crowd report
        from a device younger than 10 minutes is refused)."""
        if self._device is None:
            registered = self.client.post(
                "/v1/devices", json={"token": "contract-test", "platform": "ios", "locale": "en"}
            ).get_json()
            alert = self.client.post(
                f"/v1/devices/{registered['id']}/alerts",
                json={
                    "checkpoint": "kz-kordai",
                    "direction": "exit",
                    "lane": "car",
                    "below_minutes": 30,
                },
                headers={"Authorization": f"Device {registered['secret']}"},
            ).get_json()
            self.session.execute(
                update(Device)
                .where(Device.id == registered["id"])
                .values(created_at=datetime.now(UTC) - timedelta(hours=1))
            )
            self.session.commit()
            self._device = {**registered, "alert_id": alert["id"]}
        return self._device


@pytest.fixture
def callers(client: FlaskClient, agency_key: Any, login: Any, session: Session) -> Callers:
    return Callers(client, agency_key, login, session)


@pytest.fixture
def content(session: Session) -> dict[str, Any]:
    """A customs rule, the demo campaigns and a planned closure of Kordai, so that paths
    can name what exists."""
    created = factories.customs_rule(
        session, key="t-cash", category="cash", limit_value=10000, limit_currency="USD"
    )
    loader.load_demo_campaigns(session)
    closure = factories.planned_closure(session, checkpoint_id="kz-kordai")
    session.commit()
    campaign = session.scalars(select(Campaign).order_by(Campaign.id)).first()
    assert campaign is not None
    return {
        "rule_id": created.id,
        "rule_key": created.key,
        "slug": campaign.slug,
        "planned_id": closure.id,
    }


#: what a request refused for its shape says, in every language: webargs' 422 and the
#: 400 for a body that is not JSON
SHAPE_REFUSALS = {
    translations(locale).gettext(message)
    for locale in KNOWN_LOCALES
    for message in (DETAILS[422], INVALID_JSON)
}


def schema_valid_requests_fit_the_schemas(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replaces schemathesis's positive_data_acceptance, which wants every schema-valid
    request answered 2xx. Here services check facts the document cannot state (a history
    range of at most 31 days, a rule's unit that fits its category, a current If-Match)
    and answer 412, 422 or 428 for them; a valid request refused for its *shape* means
    the document and the marshmallow schemas disagree, and that is a failure."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code in (400, 406, 413, 415) or (
        response.status_code == 422 and response.json().get("detail") in SHAPE_REFUSALS
    ):
        raise AssertionError(
            f"A schema-valid request was refused for its shape: {response.status_code} "
            f"{response.text[:500]}"
        )
    return None


def real_values(callers: Callers, content: dict[str, Any], kind: str) -> dict[str, Any]:
    """Path values that name something that exists, one strategy per parameter name."""
    values: dict[str, Any] = {
        "checkpoint_id": st.sampled_from(CHECKPOINTS),
        "slug": st.just(content["slug"]),
        "rule_id": st.just(content["rule_id"]),
        "key": st.just(content["rule_key"]),
        "action": st.sampled_from(ACTIONS),
        "number": st.integers(min_value=1, max_value=3),
        "currency": st.sampled_from(("EUR", "USD", "KZT")),
        "planned_id": st.just(content["planned_id"]),
    }
    if kind == "device":
        values["device_id"] = st.just(callers.device["id"])
        values["alert_id"] = st.just(callers.device["alert_id"])
    return values


#: fixtures are per operation on purpose: each operation's examples share one rolled-back
#: transaction and one set of callers
SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=SUPPRESSED,
)
def test_contract(
    case: Any, data: st.DataObject, app: Flask, callers: Callers, content: dict[str, Any]
) -> None:
    kind = data.draw(st.sampled_from(callers.kinds(case.operation)), label="caller")
    headers = {
        # the WSGI transport does not decompress; gzip has its own tests (test_cache.py)
        "Accept-Encoding": "identity",
        **callers.headers(kind),
    }
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    # a valid request should often name something that exists, or it only meets 404s
    if positive and case.path_parameters and data.draw(st.booleans(), label="real path"):
        values = real_values(callers, content, kind)
        for name in case.path_parameters:
            if name in values:
                case.path_parameters[name] = data.draw(values[name], label=name)
    if positive and "If-Match" in (case.headers or {}) and data.draw(st.booleans()):
        headers["If-Match"] = data.draw(st.sampled_from(['"v1"', '"v2"', '"v3"']), label="ETag")
    call_and_validate(case, app, headers)


@boundaries.parametrize()
@settings(derandomize=True, deadline=None, database=None, suppress_health_check=SUPPRESSED)
def test_contract_boundaries(case: Any, app: Flask, callers: Callers) -> None:
    kind = callers.own(case.operation)
    call_and_validate(case, app, {"Accept-Encoding": "identity", **callers.headers(kind)})


def call_and_validate(case: Any, app: Flask, headers: dict[str, str]) -> None:
    case.call_and_validate(
        app=app,
        headers=headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
        additional_checks=[schema_valid_requests_fit_the_schemas],
    )


def test_every_operation_is_fuzzed() -> None:
    """The parametrised test above covers every operation the document lists."""
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {
        (method.upper(), path)
        for path, item in SPEC_APP.test_client().get("/openapi.json").get_json()["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert {(op.method.upper(), op.path) for op in operations} == documented
    assert len(documented) >= 44
