"""Request shapes of other public clients, replayed over plain HTTP; each names where
its shape comes from."""
import json

from conftest import LOGIN, PASSWORD, URL, call, create_env, ok


def test_shell_scripts_sign_in_and_read_session_and_appid(session):
    # Deploy scripts in public repos: curl a Signin, take the session with
    # sed -E 's/^.*"session":"([^"]+)".*$/\1/' or jq .session, then find an
    # environment with jq '.infos[] | select(.env.shortdomain=="x") | .env.appid'.
    create_env(session, "sh-env", [{"nodeType": "tomcat"}])
    import re
    import urllib.parse
    import urllib.request
    body = urllib.parse.urlencode({"login": LOGIN, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{URL}/1.0/users/authentication/rest/signin", body) as r:
        text = r.read().decode()
    fresh = re.sub(r'^.*"session":"([^"]+)".*$', r"\1", text)
    assert fresh != text and " " not in fresh
    infos = ok(call("environment/control/rest/getenvs", method="GET", session=fresh))["infos"]
    appids = [i["env"]["appid"] for i in infos if i["env"]["shortdomain"] == "sh-env"]
    assert len(appids) == 1 and appids[0]


def test_maven_plugin_signs_in_uploads_and_deploys(session, tmp_path):
    # The Maven Plugin API set (API.md): Signin with login/password as a form, a
    # multipart Upload, DeployApp with the returned URL, GetEnvInfo to check.
    create_env(session, "mvn-env", [{"nodeType": "tomcat"}])
    fresh = ok(call("users/authentication/rest/signin", login=LOGIN, password=PASSWORD))["session"]
    boundary = "patio-boundary"
    parts = [("fid", "123456"), ("session", fresh)]
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in parts)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="app.war"\r\n'
             f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"PK\x03\x04war" \
        + f"\r\n--{boundary}--\r\n".encode()
    import urllib.request
    request = urllib.request.Request(
        f"{URL}/1.0/storage/uploader/rest/upload", data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request) as r:
        uploaded = ok(json.load(r))
    deployed = ok(call("environment/control/rest/deployapp", session=fresh, envName="mvn-env",
                       fileUrl=uploaded["file"], fileName="app.war", context="ROOT"))
    assert deployed["deployment"]["fileName"] == "app.war"
    info = ok(call("environment/control/rest/getenvinfo", session=fresh, envName="mvn-env"))
    assert info["deployments"][0]["context"] == "ROOT"


def test_header_clients_send_bearer_and_lower_case_names(token, session):
    # HTTP clients that keep the token out of the URL (API.md calling convention):
    # Authorization: Bearer, GET, names as typed by hand (envname), a proxy's Basic
    # header beside it.
    create_env(session, "hdr-env", [{"nodeType": "nginx"}])
    info = ok(call("environment/control/rest/getenvinfo", method="GET", envname="hdr-env",
                   headers={"Authorization": f"Bearer {token}"}))
    assert info["env"]["envName"] == "hdr-env"
    same = ok(call("environment/control/rest/getenvs", method="GET", session=token,
                   headers={"Authorization": f"Bearer {token}"}))
    assert same["infos"]
    basic = ok(call("environment/control/rest/getenvs", session=token,
                    headers={"Authorization": "Basic cHJveHk6cHJveHk="}))
    assert basic["infos"]
    assert call("environment/control/rest/getenvs", session=session,
                headers={"Authorization": f"Bearer {token}"})["result"] == 3


def _ruby_post(path, **params):
    """How the Ruby client (visualitypl/jelastic, lib/jelastic/request.rb) calls: always a
    POST with a form body built by `set_form_data`, the answer parsed with `JSON.parse`
    whatever the HTTP status, success meaning `out['result'].zero?` and a failure raised
    with `out['error']` as its message."""
    import urllib.request
    import urllib.parse
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(f"{URL}/1.0/{path}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            out = json.load(response)
    except urllib.error.HTTPError as e:
        out = json.load(e)
    assert isinstance(out, dict)
    # `result.zero?` needs an Integer: a string or a missing result raises NoMethodError.
    assert isinstance(out["result"], int) and not isinstance(out["result"], bool), out
    if out["result"] != 0:
        assert isinstance(out["error"], str) and out["error"], out
    return out


# The system appid the Ruby client adds to some calls (lib/jelastic/rest/utils.rb).
RUBY_APPID = "1dd8d191d38fff45e62564fcf67fdcd6"


def test_ruby_client_authenticates_and_manages_an_environment():
    # lib/jelastic/client.rb#authenticate signs in and builds its User from the answer
    # with fetch('uid'), fetch('email'), fetch('session') and fetch('status')
    # (lib/jelastic/user.rb): each key must be there, or fetch raises KeyError.
    signed_in = _ruby_post("users/authentication/rest/signin", appid=RUBY_APPID,
                           login=LOGIN, password=PASSWORD)
    assert signed_in["result"] == 0, signed_in
    for key in ("uid", "email", "session", "status"):
        assert key in signed_in, f"User.new would raise KeyError on {key}: {signed_in}"
    assert signed_in["email"] == LOGIN and signed_in["status"] == 1
    session = signed_in["session"]
    # lib/jelastic/rest/control.rb and serializers/environment.rb: create_environment
    # sends actionkey, env and nodes as JSON text, with the serializer's fields.
    env = {"region": "default", "ishaenabled": False, "engine": "java8",
           "displayName": "Ruby app", "sslstate": False, "shortdomain": "ruby-env"}
    nodes = [{"extip": False, "count": 1, "fixedCloudlets": 1, "flexibleCloudlets": 4,
              "displayName": "app", "nodeType": "docker",
              "docker": {"image": "nginx:latest", "nodeGroup": "cp"}}]
    created = _ruby_post("environment/control/rest/createenvironment", appid=RUBY_APPID,
                         session=session, actionkey="4f1c2b", env=json.dumps(env),
                         nodes=json.dumps(nodes))
    assert created["result"] == 0, created
    listed = _ruby_post("environment/control/rest/getenvs", appid=RUBY_APPID, session=session)
    assert "ruby-env" in [i["env"]["envName"] for i in listed["infos"]]
    # get_environment sends `envname`, all lower case, and no appid.
    info = _ruby_post("environment/control/rest/getenvinfo", envname="ruby-env", session=session)
    assert info["env"]["displayName"] == "Ruby app"
    # A failure is raised with `error` as the message.
    missing = _ruby_post("environment/control/rest/getenvinfo", envname="no-such-env",
                         session=session)
    assert missing["result"] == 11 and "no-such-env" in missing["error"]
    # delete_environment sends envname and the sign-in password.
    deleted = _ruby_post("environment/control/rest/deleteenv", envname="ruby-env",
                         password=PASSWORD, session=session)
    assert deleted["result"] == 0, deleted
    out = _ruby_post("users/authentication/rest/signout", appid=RUBY_APPID, session=session)
    assert out["result"] == 0
    assert _ruby_post("environment/control/rest/getenvs", session=session)["result"] == 701


def _go_get(path, query):
    """How GoJelastic (yoanbernabeu/GoJelastic, cmd/root.go) calls: the query string
    joined by hand, unescaped; the answer decoded into JelasticResponse
    {Result int `json:"result"`; Error string `json:"error"`; Source string
    `json:"source"`; Raw interface{} `json:"raw"`} and a failure being
    `Result != 0 || Error != ""`. A field of another JSON type makes the decode fail,
    which that client takes as success: every answer must decode."""
    import urllib.request
    with urllib.request.urlopen(f"{URL}/1.0{path}?{query}") as response:
        out = json.load(response)
    assert isinstance(out, dict)
    assert isinstance(out["result"], int) and not isinstance(out["result"], bool), out
    for field in ("error", "source"):
        assert out.get(field) is None or isinstance(out[field], str), out
    failed = out["result"] != 0 or bool(out.get("error"))
    return out, failed


def test_go_client_reads_result_error_and_source_of_every_answer(session, token):
    # GoJelastic sends the token it was given as `session` (cmd/root.go), never signing in.
    create_env(session, "go-env", [{"nodeType": "nginx"}])
    calls = [
        # cmd/environment_control.go: getenvs, getenvinfo, stopenv, startenv.
        ("/environment/control/rest/getenvs", f"session={token}", False),
        ("/environment/control/rest/getenvinfo", f"envName=go-env&session={token}", False),
        ("/environment/control/rest/stopenv", f"envName=go-env&session={token}", False),
        ("/environment/control/rest/stopenv", f"envName=go-env&session={token}", True),
        ("/environment/control/rest/startenv", f"envName=go-env&session={token}", False),
        ("/environment/control/rest/getenvinfo", f"envName=no-such-env&session={token}", True),
        # cmd/users_account.go: getuserinfo.
        ("/users/account/rest/getuserinfo", f"session={token}", False),
        # A method Patio does not have (cmd/environment_control.go: getregions).
        ("/environment/control/rest/getregions", f"envName=go-env&session={token}", True),
    ]
    for path, query, should_fail in calls:
        out, failed = _go_get(path, query)
        assert failed == should_fail, (path, query, out)
    # A --url given with a trailing slash makes `//` after /1.0 (cmd/root.go joins by hand).
    out, failed = _go_get("//environment/control/rest/getenvs", f"session={token}")
    assert not failed and "go-env" in [i["env"]["envName"] for i in out["infos"]], out
