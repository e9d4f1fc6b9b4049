"""Ingress TLS tests' pieces: certificate material made at test time with the `openssl` CLI,
the YAML of `kubernetes.io/tls` Secrets and of Ingresses with `spec.tls`, and TLS clients as
a user runs them (`openssl s_client`, curl, Python's ssl module).

Material (one temporary directory per test session, see `TLSMaterial`):

    ca             "svcproxy test root CA", self-signed; every leaf below chains to it
    intermediate   "svcproxy test intermediate CA", signed by the root
    a_rsa          a.example, RSA-2048, key as PKCS#1 ("BEGIN RSA PRIVATE KEY")
    a_rsa_renewed  a.example again, another RSA-2048 key (for a certificate replaced on reload)
    b_ecdsa        b.example, ECDSA P-256, key as SEC1 ("BEGIN EC PRIVATE KEY")
    wildcard       *.wild.example, ECDSA P-256, key as PKCS#8, issued by the intermediate;
                   its tls.crt holds the leaf and then the intermediate
    fallback       default.example, RSA-2048, PKCS#8: the --default-ssl-certificate
    expired        c.example, valid 2020-01-01 to 2020-01-31 only
    other_key      an RSA-2048 key of no certificate (for a key that does not match)

Each leaf's subject is `CN=<first name>, O=svcproxy tests`, with every name as a DNS SAN.
Certificates are told apart by their SHA-256 fingerprints (of the DER), never by names alone.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .basics import Deadline
from .http_backend import BufferedSocket
from .ingress import CREATED, IO_TIMEOUT, HTTPClient, to_yaml

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
TLS_FLAG = "--ingress-https-bind-address"
PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----\r?\n?", re.S)
DEFAULT_DAYS = 365


# --------------------------------------------------------------------------- support





# --------------------------------------------------------------------------- material

def _run(args: list[str], cwd: Path, input: bytes | None = None) -> bytes:
    result = subprocess.run([OPENSSL, *args], cwd=cwd, input=input, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stderr.decode(errors='replace')}")
    return result.stdout


def pem_certificates(data: bytes) -> list[bytes]:
    """The PEM certificate blocks in `data`, in order (each ending with a newline)."""
    return [block if block.endswith(b"\n") else block + b"\n" for block in PEM_CERT.findall(data)]


def fingerprint(pem: bytes) -> str:
    """SHA-256 of the DER of the first certificate in `pem`, lowercase hex."""
    blocks = pem_certificates(pem)
    if not blocks:
        raise ValueError(f"no PEM certificate in {pem[:200]!r}")
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(blocks[0].decode())).hexdigest()


def pem_body(pem: bytes) -> str:
    """The base64 between the BEGIN and END lines, without line breaks."""
    return "".join(line for line in pem.decode().splitlines() if line and not line.startswith("-----"))


@dataclass(frozen=True)
class Certificate:
    """A leaf certificate with its key, as files and as bytes; `chain_pem` is what a Secret's
    tls.crt holds (the leaf, then any intermediate)."""

    name: str
    hosts: tuple[str, ...]
    key_type: str  # "rsa" or "ecdsa"
    cert_path: Path
    key_path: Path
    chain_pem: bytes
    key_pem: bytes
    not_before: int  # seconds since the epoch
    not_after: int

    @property
    def cert_pem(self) -> bytes:
        return pem_certificates(self.chain_pem)[0]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.chain_pem)

    @property
    def subject_cn(self) -> str:
        return self.hosts[0]

    def __str__(self) -> str:
        return f"{self.name} ({', '.join(self.hosts)}, {self.key_type}, sha256 {self.fingerprint[:16]}...)"


def _asn1_time(text: str) -> int:
    """`notAfter=Jan 31 00:00:00 2020 GMT` (openssl x509 -dates) as seconds since the epoch."""
    value = text.split("=", 1)[1].strip()
    return calendar.timegm(time.strptime(value, "%b %d %H:%M:%S %Y %Z"))


class TLSMaterial:
    """Every certificate and key the TLS tests use, made once in `directory` (see the module
    docstring). Generation takes a second or two, so a session makes it once."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "newcerts").mkdir(exist_ok=True)
        self._serial = secrets.randbits(63) | 1 << 62  # 63 bits: what scanners expect of a serial
        self.ca_path, self.ca_key = self._make_ca("root", "svcproxy test root CA", None)
        self.intermediate_path, self.intermediate_key = self._make_ca(
            "intermediate", "svcproxy test intermediate CA", (self.ca_path, self.ca_key))
        self.a_rsa = self.issue("a-rsa", ["a.example"], "rsa", key_format="pkcs1")
        self.a_rsa_renewed = self.issue("a-rsa-renewed", ["a.example"], "rsa", key_format="pkcs1")
        self.b_ecdsa = self.issue("b-ecdsa", ["b.example"], "ecdsa", key_format="sec1")
        self.wildcard = self.issue("wildcard", ["*.wild.example"], "ecdsa", issuer="intermediate")
        self.fallback = self.issue("fallback", ["default.example"], "rsa")
        self.expired = self.issue("expired", ["c.example"], "rsa", start="20200101000000Z", end="20200131000000Z")
        self.other_key = self._key("other", "rsa", "pkcs8")[1]

    @property
    def ca_pem(self) -> bytes:
        return self.ca_path.read_bytes()

    # -- openssl

    def _key(self, name: str, key_type: str, key_format: str) -> tuple[Path, bytes]:
        path = self.dir / f"{name}.key"
        if key_type == "rsa":
            _run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path)], self.dir)
            if key_format == "pkcs1":
                _run(["rsa", "-in", str(path), "-traditional", "-out", str(path)], self.dir)
        else:
            _run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path)], self.dir)
            if key_format == "sec1":
                _run(["ec", "-in", str(path), "-out", str(path)], self.dir)
        os.chmod(path, 0o600)
        return path, path.read_bytes()

    def _make_ca(self, name: str, common_name: str, issuer: tuple[Path, Path] | None) -> tuple[Path, Path]:
        key, _ = self._key(name, "ecdsa", "pkcs8")
        cert = self.dir / f"{name}.pem"
        extensions = self.dir / f"{name}.ext"
        extensions.write_text("[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
                              "subjectKeyIdentifier = hash\n" + ("authorityKeyIdentifier = keyid\n" if issuer else ""))
        subject = f"/CN={common_name}/O=svcproxy tests"
        if issuer is None:
            _run(["req", "-x509", "-new", "-key", str(key), "-subj", subject, "-days", "3650", "-sha256",
                  "-extensions", "v3", "-config", str(self._req_config()), "-out", str(cert)], self.dir)
        else:
            csr = self.dir / f"{name}.csr"
            _run(["req", "-new", "-key", str(key), "-subj", subject, "-config", str(self._req_config()),
                  "-out", str(csr)], self.dir)
            self._sign(csr, cert, extensions, issuer, days=3650)
        return cert, key

    def _req_config(self) -> Path:
        path = self.dir / "req.cnf"
        if not path.exists():
            path.write_text("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n"
                            "[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
                            "subjectKeyIdentifier = hash\n")
        return path

    def _sign(self, csr: Path, out: Path, extensions: Path, issuer: tuple[Path, Path], *, days: int | None = None,
              start: str | None = None, end: str | None = None) -> None:
        """`openssl ca`: the one openssl 3.0 command that takes explicit start and end dates."""
        self._serial += 1
        (self.dir / "serial").write_text("%X\n" % self._serial)
        (self.dir / "index.txt").touch()
        config = self.dir / "ca.cnf"
        config.write_text(
            "[ca]\ndefault_ca = test_ca\n[test_ca]\n"
            f"database = {self.dir}/index.txt\nnew_certs_dir = {self.dir}/newcerts\nserial = {self.dir}/serial\n"
            f"certificate = {issuer[0]}\nprivate_key = {issuer[1]}\n"
            "default_md = sha256\npolicy = policy_any\nunique_subject = no\nemail_in_dn = no\n"
            "copy_extensions = none\n[policy_any]\ncommonName = supplied\norganizationName = optional\n")
        args = ["ca", "-batch", "-notext", "-config", str(config), "-in", str(csr), "-out", str(out),
                "-extfile", str(extensions), "-extensions", "v3"]
        if start is not None:
            args += ["-startdate", start, "-enddate", end]
        else:
            args += ["-days", str(days or DEFAULT_DAYS)]
        _run(args, self.dir)
        # `openssl ca -notext` still writes only the certificate; keep exactly the PEM block
        out.write_bytes(b"".join(pem_certificates(out.read_bytes())))

    def issue(self, name: str, hosts: list[str], key_type: str = "rsa", *, key_format: str = "pkcs8",
              issuer: str = "root", start: str | None = None, end: str | None = None,
              extended_usage: str = "serverAuth") -> Certificate:
        """A leaf for `hosts` (DNS SANs, or IP SANs for addresses; the first also the CN);
        `extended_usage` "clientAuth" makes a client certificate."""
        key_path, key_pem = self._key(name, key_type, key_format)
        csr = self.dir / f"{name}.csr"
        _run(["req", "-new", "-key", str(key_path), "-subj", f"/CN={hosts[0]}/O=svcproxy tests",
              "-config", str(self._req_config()), "-out", str(csr)], self.dir)
        extensions = self.dir / f"{name}.ext"
        usage = "digitalSignature,keyEncipherment" if key_type == "rsa" else "digitalSignature"
        extensions.write_text("[v3]\nbasicConstraints = critical,CA:FALSE\n"
                              f"keyUsage = critical,{usage}\nextendedKeyUsage = {extended_usage}\n"
                              "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
                              "subjectAltName = " + ",".join(_alt_name(h) for h in hosts) + "\n")
        cert_path = self.dir / f"{name}.pem"
        signer = (self.ca_path, self.ca_key) if issuer == "root" else (self.intermediate_path, self.intermediate_key)
        self._sign(csr, cert_path, extensions, signer, start=start, end=end)
        if issuer != "root":
            cert_path.write_bytes(cert_path.read_bytes() + self.intermediate_path.read_bytes())
        dates = _run(["x509", "-in", str(cert_path), "-noout", "-startdate", "-enddate"], self.dir).decode().split("\n")
        return Certificate(name, tuple(hosts), key_type, cert_path, key_path, cert_path.read_bytes(), key_pem,
                           _asn1_time(dates[0]), _asn1_time(dates[1]))


def _alt_name(host: str) -> str:
    """`IP:127.0.0.1` for an address, `DNS:a.example` for a name."""
    try:
        ipaddress.ip_address(host)
        return f"IP:{host}"
    except ValueError:
        return f"DNS:{host}"


# --------------------------------------------------------------------------- YAML

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def secret_yaml(name: str, cert: Certificate | None = None, *, namespace: str = "default", cert_pem: bytes | None = None,
                key_pem: bytes | None = None, string_data: bool = False, secret_type: str = "kubernetes.io/tls") -> str:
    """A `kubernetes.io/tls` Secret holding `cert` (its chain and key), or the given PEM bytes
    instead (to pair a certificate with a key that is not its own); `string_data=True` writes
    the PEM text under `stringData` rather than base64 under `data`."""
    crt = cert_pem if cert_pem is not None else cert.chain_pem
    key = key_pem if key_pem is not None else cert.key_pem
    body = ({"stringData": {"tls.crt": crt.decode(), "tls.key": key.decode()}} if string_data
            else {"data": {"tls.crt": b64(crt), "tls.key": b64(key)}})
    return to_yaml({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
                    "type": secret_type, **body})


def tls_ingress_yaml(name: str, *, rules=(), tls=(), namespace: str = "default", default_backend=None,
                     annotations: dict | None = None, class_name: str = "svcproxy") -> str:
    """An Ingress of our class with `spec.tls`: `tls` is a list of (hosts, secretName) pairs."""
    from .ingress import backend_ref

    metadata: dict = {"name": name, "namespace": namespace, "creationTimestamp": CREATED}
    if annotations:
        metadata["annotations"] = dict(annotations)
    spec: dict = {"ingressClassName": class_name}
    if default_backend is not None:
        spec["defaultBackend"] = default_backend if isinstance(default_backend, dict) else backend_ref(*default_backend)
    if tls:
        spec["tls"] = [{"hosts": list(hosts), "secretName": secret} for hosts, secret in tls]
    if rules:
        spec["rules"] = list(rules)
    return to_yaml({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec})


def https_bind_args(port: int, host: str = "127.0.0.1") -> tuple[str, ...]:
    return (TLS_FLAG, f"{host}:{port}")


# --------------------------------------------------------------------------- openssl s_client

@dataclass
class Handshake:
    """What `openssl s_client` saw on one connection."""

    returncode: int
    stdout: str
    stderr: str
    chain: list[bytes]

    @property
    def completed(self) -> bool:
        """A certificate arrived and a cipher was agreed (s_client prints "Cipher is (NONE)" otherwise)."""
        return bool(self.chain) and self.cipher not in (None, "(NONE)", "0000")

    @property
    def leaf_fingerprint(self) -> str | None:
        return fingerprint(self.chain[0]) if self.chain else None

    def _field(self, pattern: str) -> str | None:
        match = re.search(pattern, self.stdout, re.M)
        return match.group(1).strip() if match else None

    @property
    def protocol(self) -> str | None:
        """TLSv1.2 or TLSv1.3, from the "New, TLSv1.3, Cipher is ..." line."""
        return self._field(r"^(?:New|Reused), (\S+), Cipher is")

    @property
    def cipher(self) -> str | None:
        return self._field(r"Cipher is (\S+)")

    @property
    def reused(self) -> bool:
        return re.search(r"^Reused, ", self.stdout, re.M) is not None

    @property
    def alpn(self) -> str | None:
        """The protocol agreed by ALPN, or None ("No ALPN negotiated")."""
        return self._field(r"^ALPN protocol: (\S+)")

    @property
    def verify_code(self) -> int | None:
        value = self._field(r"Verify return code: (\d+)")
        return int(value) if value is not None else None

    @property
    def subject(self) -> str | None:
        return self._field(r"^subject=(.*)$")

    @property
    def issuer(self) -> str | None:
        return self._field(r"^issuer=(.*)$")

    def __str__(self) -> str:
        return (f"s_client rc={self.returncode} protocol={self.protocol} cipher={self.cipher} "
                f"reused={self.reused} subject={self.subject!r} chain={len(self.chain)}\n"
                f"--- stdout ---\n{self.stdout[-2500:]}\n--- stderr ---\n{self.stderr[-1500:]}")


def s_client(address: tuple[str, int], *args: str, servername: str | None = None, ca: Path | None = None,
             send: bytes = b"", wait_for_close: bool = False, timeout: float = IO_TIMEOUT) -> Handshake:
    """`openssl s_client -connect IP:PORT -showcerts [-servername NAME | -noservername] ARGS`.

    Without `wait_for_close`, stdin is `send` then end of file: s_client sends it, and quits
    at end of input (after the handshake, and for TLS 1.3 after reading what has arrived).
    With it (`-ign_eof`), s_client stays until the server closes: use with a request that
    says `Connection: close`, so that TLS 1.3 session tickets sent after the handshake are
    read before `-sess_out` writes the session."""
    ip, port = address
    argv = [OPENSSL, "s_client", "-connect", f"{ip}:{port}", "-showcerts"]
    argv += ["-servername", servername] if servername is not None else ["-noservername"]
    if ca is not None:
        argv += ["-CAfile", str(ca), "-verify_return_error"]
    if wait_for_close:
        argv.append("-ign_eof")
    argv += list(args)
    try:
        result = subprocess.run(argv, input=send, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        out = (error.stdout or b"").decode(errors="replace")
        return Handshake(-1, out, f"timed out after {timeout} s", pem_certificates(error.stdout or b""))
    return Handshake(result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace"),
                     pem_certificates(result.stdout))


def served_fingerprint(address: tuple[str, int], servername: str | None) -> str | None:
    """The SHA-256 fingerprint of the leaf certificate the daemon serves for `servername`
    (None: no SNI), or None when no handshake completed."""
    handshake = s_client(address, servername=servername)
    return handshake.leaf_fingerprint if handshake.completed else None


def close_request(host: str, path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


# --------------------------------------------------------------------------- curl

@dataclass
class HTTPSCurlResult:
    status: int
    body: bytes
    returncode: int
    stderr: str

    def json_backend(self) -> str:
        """The backend named in a backend's JSON answer, else what came instead."""
        try:
            return json.loads(self.body)["backend"]
        except (ValueError, KeyError, TypeError):
            return f"<no backend: {self.status} {self.body[:100]!r}>"

    @property
    def server_subject(self) -> str | None:
        """The server certificate's subject as `curl -v` prints it ("*  subject: CN=...")."""
        match = re.search(r"^\*\s+subject: (.*)$", self.stderr, re.M)
        return match.group(1).strip() if match else None


def https_curl(address: tuple[str, int], host: str, path: str = "/", *args: str, ca: Path | None,
               resolve: bool = True, timeout: float = IO_TIMEOUT) -> HTTPSCurlResult:
    """`curl -v --cacert CA --resolve HOST:PORT:IP https://HOST:PORT/PATH` (resolve=False: the
    URL names the IP itself, so curl sends no SNI). `ca=None` adds `--insecure`."""
    ip, port = address
    argv = ["curl", "-sS", "-v", "--max-time", str(timeout), "-o", "-", "-w", "\n%{http_code}"]
    argv += ["--cacert", str(ca)] if ca is not None else ["--insecure"]
    if resolve:
        argv += ["--resolve", f"{host}:{port}:{ip}", *args, f"https://{host}:{port}{path}"]
    else:
        argv += [*args, f"https://{ip}:{port}{path}"]
    result = subprocess.run(argv, capture_output=True, timeout=timeout + 5)
    body, _, code = result.stdout.rpartition(b"\n")
    return HTTPSCurlResult(int(code or b"0"), body, result.returncode, result.stderr.decode(errors="replace"))


# --------------------------------------------------------------------------- Python's ssl

def client_context(ca: Path | None, *, minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.MAXIMUM_SUPPORTED,
                   alpn: list[str] | None = ("http/1.1",)) -> ssl.SSLContext:
    """A client context trusting only `ca` (None: verifying nothing), with hostname checks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cafile=str(ca))
    context.minimum_version = minimum
    context.maximum_version = maximum
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


class HTTPSClient(HTTPClient):
    """`HTTPClient` over TLS: the same requests and responses, on an SSLSocket that did its
    handshake in the constructor (with SNI `server_hostname`)."""

    def __init__(self, address: tuple[str, int], server_hostname: str | None, context: ssl.SSLContext,
                 timeout: float = IO_TIMEOUT):
        super().__init__(address, timeout)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)
        except BaseException:
            self.sock.close()
            raise
        self.reader = BufferedSocket(self.sock)

    @property
    def peer_fingerprint(self) -> str:
        return hashlib.sha256(self.sock.getpeercert(binary_form=True)).hexdigest()


def wait_closed_silent(address: tuple[str, int], timeout: float) -> tuple[str, float]:
    """Connect, send nothing, and wait for the daemon to end the connection: ("eof" | "reset"
    | "timeout" | "data: ...", seconds it took)."""
    started = time.monotonic()
    deadline = Deadline(timeout)
    with socket.create_connection(address, timeout=5) as sock:
        while True:
            sock.settimeout(max(0.01, deadline.remaining()))
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                return "reset", time.monotonic() - started
            except (socket.timeout, TimeoutError):
                return "timeout", time.monotonic() - started
            if not data:
                return "eof", time.monotonic() - started
            # A TLS alert before closing is fine; anything else is reported.
            if data[:1] != b"\x15":
                return f"data: {data[:100]!r}", time.monotonic() - started


# --------------------------------------------------------------------------- set-ups

def tls_site(start_http_backend, material: TLSMaterial, *, annotations: dict | None = None,
             secrets: dict | None = None, extra_yaml: str = "") -> tuple[dict, str]:
    """Three HTTPS hosts, each on a backend of its own and a certificate of its own:

        a.example        -> backend "alpha", Secret a-tls    (RSA, `data`)
        b.example        -> backend "beta",  Secret b-tls    (ECDSA, `stringData`)
        *.wild.example   -> backend "wild",  Secret wild-tls (ECDSA wildcard with its intermediate)
        plain.example    -> backend "alpha", no TLS

    plus Secret fallback-tls (for `--default-ssl-certificate default/fallback-tls`), all in
    one Ingress "site" with `annotations`. `secrets` replaces Secrets' YAML by name (None
    leaves that Secret out). Returns ({name: Backend}, the YAML)."""
    from .ingress import host_rule, http_services, join_yaml, path_rule

    backends, services = http_services(start_http_backend, "alpha", "beta", "wild")
    texts = {
        "a-tls": secret_yaml("a-tls", material.a_rsa),
        "b-tls": secret_yaml("b-tls", material.b_ecdsa, string_data=True),
        "wild-tls": secret_yaml("wild-tls", material.wildcard),
        "fallback-tls": secret_yaml("fallback-tls", material.fallback),
    }
    texts.update(secrets or {})
    ingress = tls_ingress_yaml(
        "site", annotations=annotations,
        tls=[(["a.example"], "a-tls"), (["b.example"], "b-tls"), (["*.wild.example"], "wild-tls")],
        rules=[host_rule("a.example", path_rule("/", "alpha")), host_rule("b.example", path_rule("/", "beta")),
               host_rule("*.wild.example", path_rule("/", "wild")), host_rule("plain.example", path_rule("/", "alpha"))])
    parts = [services, *[text for text in texts.values() if text is not None], ingress]
    if extra_yaml:
        parts.append(extra_yaml)
    return backends, join_yaml(*parts)


DEFAULT_CERT_ARGS = ("--default-ssl-certificate", "default/fallback-tls")
