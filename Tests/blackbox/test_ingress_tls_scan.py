"""A testssl.sh scan of the Ingress's HTTPS listener on loopback (`make testssl`; about a
minute, so left out of the ordinary run unless SVCPROXY_TESTSSL=1).

testssl.sh is told the address (`--ip`), does no DNS (`--nodns none`), contacts nothing
else (no `--phone-out`), and trusts the test CA (`--add-ca`). The scan asks for protocols,
ciphers (`--ciphers` where testssl.sh has it, else `--std --cipher-per-proto`), server
defaults and forward secrecy; its findings are printed as a summary, and the test holds
svcproxy to: TLS 1.2 and 1.3 only, ALPN http/1.1, Mozilla's intermediate suites (AEAD,
forward-secret key exchange; no NULL, export, RC4, 3DES or CBC), and no finding rated HIGH
or CRITICAL except those about the test certificates themselves."""

import collections
import json
import os
import shutil
import subprocess

import pytest

from harness.tls import DEFAULT_CERT_ARGS, tls_site

pytestmark = [
    pytest.mark.testssl,
    pytest.mark.skipif(os.environ.get("SVCPROXY_TESTSSL") != "1", reason="a minute-long scan: `make testssl` runs it"),
]

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
# About the throwaway certificates and the absent DNS, not about svcproxy's TLS.
ABOUT_THE_MATERIAL = {"cert_revocation", "cert_ocspURL", "cert_crlDistributionPoints", "OCSP_stapling",
                      "cert_mustStapleExtension", "DNS_CAArecord", "certificate_transparency", "engine_problem",
                      "cert_expirationStatus", "cert_notAfter", "cert_serialNumberLen"}


def scan_arguments() -> list[str]:
    help_text = subprocess.run([TESTSSL, "--help"], capture_output=True, text=True, timeout=30).stdout
    ciphers = ["--ciphers"] if "--ciphers" in help_text else ["--std", "--cipher-per-proto"]
    return ["--quiet", "--color", "0", "--protocols", *ciphers, "--server-defaults", "--pfs",
            "--ip", "127.0.0.1", "--nodns", "none", "--sneaky", "--warnings", "off",
            "--openssl-timeout", "10", "--connect-timeout", "10"]


def summary(findings: list[dict]) -> str:
    by_severity = collections.Counter(f["severity"] for f in findings)
    lines = ["testssl.sh findings by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(by_severity.items()))]
    for key in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "ALPN", "cipherlist_AVERAGE",
                "cipherlist_STRONG", "PFS", "PFS_ECDHE_curves", "TLS_session_ticket", "cert_keySize",
                "cert_chain_of_trust"):
        for f in findings:
            if f["id"] == key:
                lines.append(f"  {key:<22} {f['severity']:<8} {f['finding']}")
    notable = [f for f in findings if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
    if notable:
        lines.append("MEDIUM and above:")
        lines += [f"  {f['id']:<22} {f['severity']:<8} {f['finding'][:120]}"
                  + ("  (test material)" if f["id"] in ABOUT_THE_MATERIAL else "") for f in notable]
    return "\n".join(lines)


@pytest.mark.skipif(TESTSSL is None, reason="testssl.sh not installed (scripts/ensure-packages testssl)")
def test_testssl_finds_tls_1_2_and_1_3_only_with_forward_secret_aead_suites(
        start_http_backend, start_tls_ingress, write_config, tls_material, tmp_path):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    report = tmp_path / "testssl.json"

    result = subprocess.run([TESTSSL, *scan_arguments(), "--add-ca", str(m.ca_path), "--jsonfile", str(report),
                             f"a.example:{daemon.https_port}"], capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    print(result.stdout)
    assert report.exists(), f"testssl.sh wrote no report (exit {result.returncode}):\n{result.stderr[-2000:]}"
    findings = json.loads(report.read_text())
    print(summary(findings))
    found = {f["id"]: f["finding"] for f in findings}

    assert {k: found.get(k, "").split(" ")[0:2] for k in ("SSLv2", "SSLv3", "TLS1", "TLS1_1")} == {
        k: ["not", "offered"] for k in ("SSLv2", "SSLv3", "TLS1", "TLS1_1")}, found
    assert found.get("TLS1_2") == "offered" and found.get("TLS1_3", "").startswith("offered"), found
    assert "http/1.1" in found.get("ALPN", "") and "h2" not in found.get("ALPN", "").split(), found.get("ALPN")
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                 "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
        assert found.get(weak, "").startswith("not offered"), f"{weak}: {found.get(weak)}"
    assert found.get("PFS", "").startswith("offered"), found.get("PFS")
    tls12 = [f["finding"] for f in findings if f["id"].startswith("cipher-tls1_2_")]
    assert tls12 and all(" ECDH" in line or " DH " in line for line in tls12), "\n".join(tls12)
    assert found.get("cert_chain_of_trust", "").startswith("passed"), found.get("cert_chain_of_trust")
    serious = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in ABOUT_THE_MATERIAL]
    assert not serious, serious
