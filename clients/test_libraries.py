"""py-jelastic 0.1.6, jelapi 0.1.1 and jelastic-client 8.1.1.1, unmodified, against
Patio: each through its own public API (see /docs clients.md for what they send)."""
import json

import pytest
from conftest import LOGIN, PASSWORD, URL, create_env, ok


# --- py-jelastic: GET, everything in the query string, appid=cluster on every call.

@pytest.fixture(scope="module")
def pyj(token, session):
    from jelastic import Jelastic
    # docker nodes only, here and in the other library tests: jelapi's GetEnvs
    # (JelasticEnvironment.dict) refuses an account holding any other node type.
    create_env(session, "pyj-env", [{"nodeType": "docker", "count": 2}])
    return Jelastic(base_url=URL, token=token)


def test_py_jelastic_reads_stops_and_starts(pyj):
    control = pyj.environment.Control
    info = control.GetEnvInfo(env_name="pyj-env")
    assert info["env"]["envName"] == "pyj-env" and info["env"]["status"] == 1
    assert [n["ismaster"] for n in info["nodes"]] == [True, False]
    control.StopEnv(env_name="pyj-env")
    stopped = control.GetEnvInfo(env_name="pyj-env")
    assert stopped["env"]["status"] == 2
    assert {n["status"] for n in stopped["nodes"]} == {2}
    control.StartEnv(env_name="pyj-env")
    again = control.GetEnvInfo(env_name="pyj-env", lazy=True)
    assert again["env"]["status"] == 1
    assert [n["id"] for n in again["nodes"]] == [n["id"] for n in info["nodes"]]


def test_py_jelastic_creates_and_lists(pyj):
    from jelastic.api.exceptions import JelasticApiError
    control = pyj.environment.Control
    # nodes typed `dict`: one group goes as a JSON object.
    created = control.CreateEnvironment(
        env={"shortdomain": "pyj-made", "displayName": "made by py-jelastic", "sslstate": False},
        nodes={"nodeType": "docker", "count": 1, "docker": {"image": "nginx:latest"}})
    assert created["response"]["env"]["displayName"] == "made by py-jelastic"
    names = [i["env"]["envName"] for i in control.GetEnvs()["infos"]]
    assert "pyj-made" in names and "pyj-env" in names
    with pytest.raises(JelasticApiError):
        control.GetEnvInfo(env_name="no-such-env")


def test_py_jelastic_signs_in_and_manages_tokens(pyj):
    from jelastic import Jelastic
    signed = pyj.users.Authentication.Signin(login=LOGIN, password=PASSWORD)
    auth = Jelastic(base_url=URL, token=signed["session"]).users.Authentication
    # apiList as a Python list goes as its repr: ['a', 'b'].
    made = auth.CreateToken(description="by py-jelastic", password=PASSWORD,
                            api_list=["environment.control.GetEnvs", "environment.control.GetEnvInfo"],
                            expires_at="2099-01-02 00:00:00")
    token_id = made["token"]["id"]
    assert made["token"]["apiListItems"] == ["environment.control.GetEnvInfo", "environment.control.GetEnvs"]
    listed = auth.GetTokens(ids=[str(token_id)])["apiTokens"]
    assert [t["id"] for t in listed] == [token_id]
    assert len(auth.GetTokens(ids=[token_id, token_id])["apiTokens"]) == 1  # int list: "[7, 7]"
    regenerated = auth.RegenerateToken(ids=str(token_id), password=PASSWORD)  # sends ids
    assert regenerated["token"]["key"] != made["token"]["key"]
    assert auth.DeleteTokens(ids=str(token_id), password=PASSWORD)["count"] == 1


# --- jelapi: POST forms; reads env, nodeGroups and nodes in depth.

@pytest.fixture(scope="module")
def jla(token, session):
    import jelapi
    create_env(session, "jla-env", [{"nodeType": "docker", "nodeGroup": "cp", "count": 2},
                                    {"nodeType": "docker", "nodeGroup": "sqldb"}])
    jelapi.api_url = URL + "/1.0/"
    jelapi.api_token = token
    return jelapi


def test_jelapi_reads_stops_and_starts(jla):
    from jelapi import JelasticEnvironment
    S = JelasticEnvironment.Status
    env = JelasticEnvironment.get("jla-env")
    assert env.status == S.RUNNING and env.envName == "jla-env"
    assert set(env.nodeGroups) == {"cp", "sqldb"}
    assert len(env.nodeGroups["cp"].nodes) == 2
    node = env.nodeGroups["cp"].nodes[0]
    assert node.intIP.startswith("10.") and node.fixedCloudlets >= 1
    env.stop()
    assert JelasticEnvironment.get("jla-env").status == S.STOPPED
    JelasticEnvironment.get("jla-env").start()
    assert JelasticEnvironment.get("jla-env").status == S.RUNNING


def test_jelapi_creates_lists_and_signs_in(jla):
    from jelapi import JelasticEnvironment, JelasticAPIException
    from jelapi.connector import JelasticAPIConnector
    created = jla.api_connector()._(
        "Environment.Control.CreateEnvironment",
        env=json.dumps({"shortdomain": "jla-made", "displayName": "made by jelapi"}),
        nodes=json.dumps([{"nodeType": "docker", "nodeGroup": "cp",
                           "docker": {"image": "nginx:latest"}}]))
    assert created["response"]["env"]["envName"] == "jla-made"
    envs = JelasticEnvironment.dict()
    assert envs["jla-env"].status == JelasticEnvironment.Status.RUNNING
    signed = JelasticAPIConnector(apiurl=jla.api_url, apitoken="")._(
        "Users.Authentication.Signin", login=LOGIN, password=PASSWORD)
    tokens = JelasticAPIConnector(apiurl=jla.api_url, apitoken=signed["session"])._(
        "Users.Authentication.GetTokens", ids="*")
    assert tokens["apiTokens"]
    with pytest.raises(JelasticAPIException):
        jla.api_connector()._("Users.Authentication.GetTokens")  # session only


# --- jelastic-client: POST forms; reads status, domain and nodes; create under response.

@pytest.fixture(scope="module")
def jlc(token, session):
    from jelastic_client import JelasticClientFactory
    create_env(session, "jlc-env", [{"nodeType": "docker"}])
    return JelasticClientFactory(URL + "/1.0", token)


def test_jelastic_client_reads_stops_and_starts(jlc):
    from jelastic_client import EnvStatus
    control = jlc.create_control_client()
    info = control.get_env_info("jlc-env")
    assert info.exists() and info.is_running()
    assert info.domain().startswith("jlc-env.")
    assert control.get_env_info("no-such-env").status() is EnvStatus.NotExists
    control.stop_env("jlc-env")
    assert control.get_env_info("jlc-env").status() is EnvStatus.Down
    control.start_env("jlc-env")
    assert control.get_env_info("jlc-env").is_running()


def test_jelastic_client_creates_and_lists(jlc):
    from jelastic_client import DockerSettings, EnvSettings, NodeSettings
    control = jlc.create_control_client()
    created = control.create_environment(
        EnvSettings(shortdomain="jlc-made", displayName="made by jelastic-client"),
        [NodeSettings(nodeType="docker", docker=DockerSettings(image="nginx:latest"),
                      fixedCloudlets=1, flexibleCloudlets=4),
         NodeSettings(nodeType="postgresql")])
    assert created.is_running() and created.env_name() == "jlc-made"
    assert {n.node_group for n in created.nodes()} == {"cp", "sqldb"}
    assert all(n.int_ip.startswith("10.") for n in created.nodes())
    infos = jlc.api_client.execute("Environment.Control.GetEnvs")["infos"]
    assert "jlc-made" in [i["env"]["envName"] for i in infos]
    assert jlc.create_account_client().get_user_info().email() == LOGIN
