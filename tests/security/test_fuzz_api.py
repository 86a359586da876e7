"""A bounded schemathesis run against the app's own OpenAPI description: generated requests to
every operation, anonymous and as an admin, never get a 5xx (issue 9: fuzzing in CI)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

EXAMPLES_PER_OPERATION = 4
SELF_HARM = ("/api/auth/", "/api/me/password", "/api/users/{user_id}")
BUDGET_S = 50  # the whole run stays under a minute on a shared CI core


def test_generated_requests_never_get_a_5xx(client: Any, users: Any) -> None:
    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").json())
    identities = [("anonymous", {}), ("admin", users.headers("admin"))]
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for who, headers in identities:
            if who == "admin" and operation.path.startswith(SELF_HARM):
                continue  # the admin logging itself out or demoting itself would turn the rest into 401s
            _fuzz(client, operation, who, headers, failures, statuses)
        assert time.monotonic() - started < BUDGET_S, f"budget spent after {operations} operations"
    assert operations > 50
    assert failures == []
    assert sum(n for status, n in statuses.items() if status not in (401, 403)) > 100  # it got past the login


def _fuzz(client: Any, operation: Any, who: str, headers: dict[str, str], failures: list[str],
          statuses: Counter[int]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=dict(headers))
        for unused in ("timeout", "verify", "cert", "allow_redirects", "cookies"):  # auth is the Bearer header
            kwargs.pop(unused, None)
        if isinstance(kwargs.get("data"), (bytes, str)):
            kwargs["content"] = kwargs.pop("data")
        if kwargs.get("files"):  # the generator's form parts as httpx wants them: bytes
            files = kwargs["files"].items() if isinstance(kwargs["files"], dict) else kwargs["files"]
            kwargs["files"] = [(name, ("f.bin", _as_bytes(value))) for name, value in files]
        response = client.request(**kwargs)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{who} {case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

    check()


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, tuple):
        value = value[1] if len(value) > 1 else value[0]
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")
