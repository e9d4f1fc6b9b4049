"""deploy/*.yaml as an operator applies it: `svcproxy check` reads the files, loads the
Namespace and skips the kinds it does not serve with a plain note (no "did you mean": no kind
is misspelt); every object is one the official `kubernetes` client models, field for field
(a misspelt field would be dropped by its model); every flag the DaemonSet passes is one
`svcproxy run` has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes")

from harness import BINARY  # noqa: E402

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NOT_SERVED = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"}
MODELS = {"Namespace": "V1Namespace", "ServiceAccount": "V1ServiceAccount", "ClusterRole": "V1ClusterRole",
          "ClusterRoleBinding": "V1ClusterRoleBinding", "DaemonSet": "V1DaemonSet"}


def documents() -> list[dict]:
    return [document for path in sorted(DEPLOY.glob("*.yaml")) for document in yaml.safe_load_all(path.read_text()) if document]


def test_check_accepts_the_manifests_and_notes_only_the_kinds_it_does_not_serve():
    result = subprocess.run([str(BINARY), "check", "--config", str(DEPLOY)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    skipped = re.findall(r'skipped (\w+) "svcproxy": (.*)', output)
    assert {kind for kind, _ in skipped} == NOT_SERVED, output
    assert all(note == "svcproxy does not serve this kind" for _, note in skipped), output
    assert "did you mean" not in output


def test_every_object_is_a_kubernetes_object_field_for_field():
    client = kubernetes.client.ApiClient()
    kinds = []
    for document in documents():
        kinds.append(document["kind"])
        model = client._ApiClient__deserialize(document, MODELS[document["kind"]])
        assert client.sanitize_for_serialization(model) == document, \
            f"{document['kind']} {document['metadata']['name']} has a field its kind does not have"
    assert sorted(kinds) == sorted(["Namespace", *NOT_SERVED])


def test_the_daemonsets_flags_are_flags_of_svcproxy_run():
    daemon_set = next(document for document in documents() if document["kind"] == "DaemonSet")
    container = daemon_set["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "run"
    help_text = subprocess.run([str(BINARY), "run", "--help"], capture_output=True, text=True, timeout=30).stdout
    for argument in container["args"][1:]:
        flag = argument.split("=", 1)[0]
        assert re.search(rf"(^|\s){re.escape(flag)}\b", help_text), f"svcproxy run has no {flag}"
    assert "$(NODE_NAME)" in " ".join(container["args"])
    assert container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
