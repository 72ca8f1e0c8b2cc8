"""The API answers as its OpenAPI description says: schemathesis over every /api operation.

The description is read from the app itself, so routes added later are covered without a
change here. Requests go to a site over the recorded days (real paper ids, which the
description's examples name), with a member's token for the operations that need one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from starlette.types import ASGIApp, Receive, Scope, Send

from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher
from dailypapers.storage import open_storage
from dailypapers.web.app import create_app

from support.accounts import add_member, api_token, make_site
from support.arxiv_server import recorded_api_body
from support.http_server import Reply, serving
from support.sites import load_recorded_days


class SiteUnderTest:
    """An ASGI app that hands each request to the site a fixture builds.

    The description is read when the module is collected, from a site without data (only
    its routes count); the requests go to the site over the recorded days.
    """

    def __init__(self) -> None:
        storage = open_storage("sqlite:///:memory:")
        self.site: ASGIApp = create_app(Settings(database_url=storage.url), storage=storage)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.site(scope, receive, send)


SITE = SiteUnderTest()
# A 400 answers a well-formed request that makes no sense (two periods at once, 31 February,
# a submission that is no arXiv id), which a JSON schema cannot express: the description
# documents it as such, and valid data may meet it. Like FastAPI the site ignores query
# parameters it does not know, so an unknown one is no invalid request. Everything else stays
# as schemathesis has it.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            }
        },
    }
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", SITE, config=CONFIG)
MEMBER_TOKEN: list[str] = []  # the site fixture's member token


@schema.auth(refresh_interval=None)
class MemberToken:
    """Sign requests with the member's token through schemathesis, so that a case meant to
    lack the Authorization header (negative testing) is sent without it."""

    def get(self, case: Case, context: object) -> str | None:
        return MEMBER_TOKEN[0] if MEMBER_TOKEN else None  # None before the site is built

    def set(self, case: Case, data: str, context: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[FastAPI, str]]:
    """Return a site over the recorded days, and a member's personal access token.

    Submissions look papers up on a local server that answers with a recorded arXiv
    response, so no request leaves the machine.
    """
    storage = open_storage(f"sqlite:///{tmp_path_factory.mktemp('schema') / 'site.db'}")
    load_recorded_days(storage, shared_data)
    token = api_token(storage, add_member(storage, "ada"))
    arxiv = recorded_api_body(shared_data, "q_testing_s0_m10")
    with (
        serving(lambda request: Reply(200, arxiv)) as (arxiv_url, _),
        httpx.Client(timeout=5) as client,
    ):
        app = make_site(
            storage,
            fetcher=PoliteFetcher(client, attempts=1),
            arxiv_api_url=arxiv_url,
            public_url="https://papers.example.org",
        )
        SITE.site = app
        MEMBER_TOKEN[:] = [token]
        yield app, token
    storage.close()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # The same requests every run of the same code (Hypothesis also draws on the constants
    # of the project's modules a run imports, so a whole-suite run asks other ones).
    derandomize=True,
)
def test_the_api_answers_as_its_description_says(case: Case, site: tuple[FastAPI, str]) -> None:
    app, _ = site
    case.operation.schema.app = app  # read without data, the description now meets the site
    case.call_and_validate(base_url="http://localhost")


def test_a_wrong_method_gets_405_naming_every_method_of_the_path(client: TestClient) -> None:
    wrong = client.put("/api/papers/2510.14545/upvote")
    comment = client.put("/api/comments/1")

    assert wrong.status_code == 405 and wrong.json() == {"error": "Method Not Allowed"}
    assert wrong.headers["allow"] == "POST, DELETE"  # not only the first route's
    assert comment.status_code == 405 and comment.headers["allow"] == "PATCH, DELETE"


def test_every_api_operation_describes_its_errors_in_the_api_shape(client: TestClient) -> None:
    description = client.get("/api/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in description["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) > 10
    for path, method, operation in operations:
        responses = operation["responses"]
        for status in ("400", "404", "405", "422", "429"):
            schema_ref = responses[status]["content"]["application/json"]["schema"]
            assert schema_ref == {"$ref": "#/components/schemas/Error"}, (path, method, status)
        if operation.get("security"):
            assert "401" in responses and "403" in responses, (path, method)
    whoami = description["paths"]["/api/whoami"]["get"]
    assert whoami["security"] == [{"HTTPBearer": []}]
