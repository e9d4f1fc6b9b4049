"""The daemon's admin endpoints as an operator reads them: /metrics parsed by Prometheus' own
parser, and /healthz or /livez with their status and JSON body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def scrape(daemon, timeout: float = 5) -> dict:
    """Every sample on /metrics, keyed by (name, sorted label pairs)."""
    with urllib.request.urlopen("http://%s:%d/metrics" % daemon.metrics_address, timeout=timeout) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def series(samples: dict, name: str, **labels):
    """One sample's value, or None if the page has no such series."""
    return samples.get((name, tuple(sorted(labels.items()))))


def metric_total(daemon, name: str) -> float:
    """The sum of every sample called `name`, whatever its labels."""
    return sum(value for (sample, _), value in scrape(daemon).items() if sample == name)


def health(daemon, path: str, timeout: float = 5) -> tuple[int, dict]:
    """The status and JSON body of /healthz or /livez."""
    try:
        with urllib.request.urlopen("http://%s:%d%s" % (daemon.healthz_address + (path,)), timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
