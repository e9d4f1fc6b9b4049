"""`svcproxy check` on TLS material: a key that does not match its certificate, a tls.crt
without a PEM certificate, and an expired certificate (a warning, with its dates) are each
named as `FILE:LINE:COL: Secret "ns/name" data[tls.crt|tls.key]: ...`, and no key material
is ever printed; `--print-plan` shows which hosts fall back to the default certificate."""

import re

from harness.ingress import check
from harness.tls import b64, pem_body, secret_yaml, tls_site

KEY_WINDOW = 40


def leaked_key_material(output: str, *keys: bytes) -> list[str]:
    """Every sign of the keys in `output`: a PEM private key header, or any run of
    KEY_WINDOW characters of a key's PEM base64 body or of the base64 a Secret's data holds."""
    found = [line for line in output.splitlines() if "PRIVATE KEY" in line]
    for key in keys:
        for text in (pem_body(key), b64(key)):
            for start in range(0, len(text) - KEY_WINDOW + 1):
                window = text[start:start + KEY_WINDOW]
                if window in output:
                    found.append(f"...{window}... (of a key)")
                    break
    return found


def problem_lines(result, path, secret: str, field: str) -> list[str]:
    pattern = re.compile(rf'^{re.escape(str(path))}:\d+:\d+: Secret "{re.escape(secret)}" (?:is invalid: )?data\[{re.escape(field)}\]: .+')
    return [line for line in (result.stdout + result.stderr).splitlines() if pattern.search(line)]


def test_a_key_that_does_not_match_its_certificate_is_named_without_printing_the_key(
        start_http_backend, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m,
                         secrets={"a-tls": secret_yaml("a-tls", cert_pem=m.a_rsa.chain_pem, key_pem=m.other_key)})
    path = write_config(config)

    result = check(path)
    output = result.stdout + result.stderr

    lines = problem_lines(result, path, "default/a-tls", "tls.key")
    assert lines, f"no line naming data[tls.key] of Secret default/a-tls:\n{output}"
    assert re.search(r"match", lines[0], re.I), lines[0]
    assert not leaked_key_material(output, m.other_key, m.a_rsa.key_pem), leaked_key_material(output, m.other_key)
    # The other Secrets are fine: nothing said about them.
    assert not [line for line in output.splitlines() if '"default/b-tls"' in line and "data[" in line], output


def test_a_tls_crt_without_a_pem_certificate_is_named_even_when_it_holds_a_key(
        start_http_backend, write_config, tls_material):
    m = tls_material
    # The classic mistake: certificate and key swapped. tls.crt now holds a private key.
    swapped = secret_yaml("a-tls", cert_pem=m.a_rsa.key_pem, key_pem=m.a_rsa.cert_pem)
    garbage = secret_yaml("b-tls", cert_pem=b"this is not a certificate\n", key_pem=m.b_ecdsa.key_pem)
    _, config = tls_site(start_http_backend, m, secrets={"a-tls": swapped, "b-tls": garbage})
    path = write_config(config)

    result = check(path)
    output = result.stdout + result.stderr

    for secret in ("default/a-tls", "default/b-tls"):
        lines = problem_lines(result, path, secret, "tls.crt")
        assert lines, f"no line naming data[tls.crt] of Secret {secret}:\n{output}"
        assert re.search(r"PEM|certificate", lines[0], re.I), lines[0]
    assert not leaked_key_material(output, m.a_rsa.key_pem, m.b_ecdsa.key_pem), \
        leaked_key_material(output, m.a_rsa.key_pem, m.b_ecdsa.key_pem)


def test_an_expired_certificate_is_a_warning_with_its_dates(start_http_backend, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m, secrets={"a-tls": secret_yaml("a-tls", m.expired)})
    path = write_config(config)

    result = check(path)
    output = result.stdout + result.stderr

    lines = problem_lines(result, path, "default/a-tls", "tls.crt")
    assert result.returncode == 0, f"an expired certificate is a warning, not an error:\n{output}"
    assert lines, f"no line naming data[tls.crt] of Secret default/a-tls:\n{output}"
    assert re.search(r"expired", lines[0], re.I), lines[0]
    # Its validity, in any common spelling: 2020-01-31 or Jan 31 ... 2020 (and the start likewise).
    assert re.search(r"2020-01-31|Jan 31 [\d:\s]*2020", lines[0]), lines[0]
    assert re.search(r"2020-01-01|Jan  ?1 [\d:\s]*2020", lines[0]), lines[0]
    assert not leaked_key_material(output, m.expired.key_pem)


def test_print_plan_shows_hosts_on_the_default_certificate_when_their_secret_is_missing(
        start_http_backend, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m, secrets={"a-tls": None})
    path = write_config(config)

    result = check(path, extra=("--default-ssl-certificate", "default/fallback-tls",
                                "--ingress-https-bind-address", "127.0.0.1:8443"))
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert "a-tls" in output, f"the missing Secret is not named:\n{output}"
    assert "Ingress HTTPS" in output and "127.0.0.1:8443" in output, output
    a_lines = [line for line in result.stdout.splitlines() if "a.example" in line]
    b_lines = [line for line in result.stdout.splitlines() if "b.example" in line]
    assert any(re.search(r"default certificate|fallback-tls", line, re.I) for line in a_lines), \
        f"a.example not shown on the default certificate:\n{result.stdout}"
    assert any("b-tls" in line for line in b_lines), f"b.example not shown with Secret b-tls:\n{result.stdout}"
    assert not leaked_key_material(output, m.b_ecdsa.key_pem, m.fallback.key_pem, m.wildcard.key_pem)
