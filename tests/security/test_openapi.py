"""Issue 9, item 15: the API's own description. ``/api/live/{pin}/qr.svg`` is public but was not
declared so, and path ids were strings, so an anonymous ``GET /api/live/abc/ledger`` answered 404
where every other private operation answers 401 first."""

from __future__ import annotations

import re
from typing import Any


def _spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_public_operations_are_declared_public(client: Any) -> None:
    paths = _spec(client)["paths"]
    assert paths["/api/live/{pin}/qr.svg"]["get"]["security"] == []
    assert paths["/api/auth/login"]["post"]["security"] == []
    assert "security" not in paths["/api/live/{id}/ledger"]["get"]  # the host's: the global login requirement
    assert "security" not in paths["/api/banks"]["post"]


def test_path_ids_are_integers(client: Any) -> None:
    for path, operations in _spec(client)["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and (parameter["name"] == "id" or parameter["name"].endswith("_id")):
                    assert parameter["schema"]["type"] == "integer", (path, parameter)


def test_every_private_operation_answers_401_first_to_an_anonymous_caller(client: Any) -> None:
    assert client.get("/api/live/abc/ledger").status_code == 401
    checked = 0
    for path, operations in _spec(client)["paths"].items():
        url = re.sub(r"{pin}", "123456", re.sub(r"{\w+}", "1", path))
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            response = client.request(method.upper(), url, json={})
            assert response.status_code == 401, (method, path, response.status_code, response.text[:200])
            checked += 1
    assert checked > 50
