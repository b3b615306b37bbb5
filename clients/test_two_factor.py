"""Two-factor sign-in with pyotp 2.12 computing the codes, as authenticator apps do:
enrolment through the dashboard's own server functions, then the REST API. py-jelastic's
Signin has no code parameter, so on such an account it fails with 704 while the same
library with a token keeps working: what tokens are for."""
import http.cookiejar
import json
import time
import urllib.parse
import urllib.request

import pyotp
import pytest
from conftest import PASSWORD, URL, call, create_env, ok


class Dashboard:
    """A browser's session: cookies kept, server functions called with forms."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, name, **params):
        request = urllib.request.Request(
            f"{URL}/api/{name}", data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"Accept": "application/json"})
        with self.opener.open(request) as response:
            body = response.read()
            return json.loads(body) if body else None


@pytest.fixture(scope="module")
def enrolled():
    email = f"two-factor-{int(time.time() * 1000)}@example.com"
    browser = Dashboard()
    browser.post("sign_up", email=email, password=PASSWORD)
    setup = browser.post("begin_two_factor", password=PASSWORD)
    # The QR code's URI is what apps read; pyotp reads it the same way.
    parsed = pyotp.parse_uri(setup["uri"])
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == setup["secret"].replace(" ", "")
    assert (parsed.digits, parsed.interval, parsed.issuer) == (6, 30, "Patio")
    assert parsed.name == email
    totp = pyotp.TOTP(parsed.secret)
    codes = browser.post("enable_two_factor", code=totp.now())
    assert len(codes) == 10
    return email, totp, codes


def signin(email, **extra):
    return call("users/authentication/rest/signin", login=email, password=PASSWORD, **extra)


def test_signin_wants_the_apps_code_and_takes_it_once(enrolled):
    email, totp, _ = enrolled
    assert signin(email)["result"] == 704
    # The code of the next 30 seconds (the current one went to the enrolment).
    code = totp.at(time.time() + 30)
    session = ok(signin(email, code=code))["session"]
    assert ok(call("users/authentication/rest/checksign", session=session))["email"] == email
    assert signin(email, code=code)["result"] == 704


def test_a_recovery_code_instead_of_the_phone(enrolled):
    email, _, codes = enrolled
    ok(signin(email, code=codes[0]))
    assert signin(email, code=codes[0])["result"] == 704


def test_py_jelastic_needs_a_token_on_such_accounts(enrolled):
    from jelastic import Jelastic
    from jelastic.api.exceptions import JelasticApiError
    email, _, codes = enrolled
    with pytest.raises(JelasticApiError):
        Jelastic(base_url=URL, token="").users.Authentication.Signin(login=email, password=PASSWORD)
    session = ok(signin(email, code=codes[1]))["session"]
    token = ok(call("users/authentication/rest/createtoken", session=session, password=PASSWORD,
                    description="for py-jelastic", tokenTemplate="extended-access"))["token"]["key"]
    create_env(session, "two-factor-env", [{"nodeType": "docker", "count": 1}])
    control = Jelastic(base_url=URL, token=token).environment.Control
    control.StopEnv(env_name="two-factor-env")
    assert control.GetEnvInfo(env_name="two-factor-env")["env"]["status"] == 2
