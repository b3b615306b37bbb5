"""The server scripts/clients started, an account's session and an Extended Access
token on it, made with plain HTTP against the REST API."""
import json
import os
import urllib.parse
import urllib.request

import pytest

URL = os.environ["PATIO_URL"]
LOGIN = os.environ["PATIO_LOGIN"]
PASSWORD = os.environ["PATIO_PASSWORD"]


def call(path, method="POST", headers=None, **params):
    """One REST call with form parameters; the JSON answer."""
    data = urllib.parse.urlencode(params).encode()
    url = f"{URL}/1.0/{path}"
    if method == "GET":
        url, data = f"{url}?{data.decode()}", None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        return json.load(response)


def ok(answer):
    assert answer.get("result") == 0, answer
    return answer


@pytest.fixture(scope="session")
def session():
    return ok(call("users/authentication/rest/signin", login=LOGIN, password=PASSWORD))["session"]


@pytest.fixture(scope="session")
def token(session):
    answer = call("users/authentication/rest/createtoken", session=session, password=PASSWORD,
                  description="client libraries", tokenTemplate="extended-access")
    return ok(answer)["token"]["key"]


def create_env(session, name, nodes):
    """An environment of the given node groups, created over plain HTTP."""
    return ok(call("environment/control/rest/createenvironment", session=session,
                   env=json.dumps({"shortdomain": name}), nodes=json.dumps(nodes)))
