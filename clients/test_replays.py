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
