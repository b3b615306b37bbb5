"""/1.0/openapi.json is a valid OpenAPI 3.0 document, and a client generated from it
(openapi-python-client) makes a call."""
import importlib
import json
import os
import pathlib
import subprocess
import sys
import urllib.request

from conftest import URL
from openapi_spec_validator import validate


def document():
    with urllib.request.urlopen(f"{URL}/1.0/openapi.json") as response:
        return json.load(response)


def test_the_document_is_valid_openapi():
    validate(document())


def test_a_generated_client_calls_the_api(token, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document()))
    out = tmp_path / "generated"
    tool = pathlib.Path(sys.executable).with_name("openapi-python-client")
    subprocess.run([tool, "generate", "--path", spec, "--output-path", out, "--meta", "none"],
                   check=True, capture_output=True)
    sys.path.insert(0, str(tmp_path))
    package = importlib.import_module("generated")
    found = [p for p in out.rglob("users_account_get_user_info.py")]
    assert found, sorted(str(p.relative_to(out)) for p in out.rglob("*.py"))[:40]
    dotted = ".".join(("generated",) + found[0].relative_to(out).with_suffix("").parts)
    endpoint = importlib.import_module(dotted)
    client = package.AuthenticatedClient(base_url=URL, token=token)
    response = endpoint.sync_detailed(client=client)
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["result"] == 0 and answer["email"] == os.environ["PATIO_LOGIN"]
