"""The metrics endpoint, read with Prometheus' own OpenMetrics parser (prometheus_client),
against the calls this test makes: counters move by exactly what was called, and no
label carries a token, an email or an address."""
import os
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import call, ok

METRICS = os.environ["PATIO_METRICS_URL"]


def scrape():
    with urllib.request.urlopen(METRICS) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_what_was_called(token, session):
    _, before = scrape()
    for _ in range(3):
        ok(call("environment/control/rest/getenvs", session=token))
    assert call("environment/control/rest/getenvs", session="patio_" + "x" * 38)["result"] == 701
    assert call("users/authentication/rest/signin", login="nobody@example.com", password="a guess")["result"] == 702
    text, after = scrape()

    ok_calls = ("patio_api_calls_total", {"method": "environment.control.GetEnvs", "result": "0"})
    assert value(after, ok_calls[0], **ok_calls[1]) - value(before, ok_calls[0], **ok_calls[1]) == 3
    refused = {"method": "environment.control.GetEnvs", "result": "701"}
    assert value(after, "patio_api_calls_total", **refused) - value(before, "patio_api_calls_total", **refused) == 1
    assert value(after, "patio_token_checks_total", outcome="accepted") - value(before, "patio_token_checks_total", outcome="accepted") == 3
    assert value(after, "patio_token_checks_total", outcome="unknown") - value(before, "patio_token_checks_total", outcome="unknown") == 1
    assert value(after, "patio_signin_failures_total") - value(before, "patio_signin_failures_total") == 1
    api_latency = value(after, "patio_request_duration_seconds_count", kind="api")
    assert api_latency - value(before, "patio_request_duration_seconds_count", kind="api") == 5
    assert value(after, "patio_replica_listening") == 1
    assert value(after, "patio_db_pool_connections") >= 1
    for secret in (token, session, "clients@example.com", "nobody@example.com", "127.0.0.1"):
        assert secret not in text
