"""A Kubernetes API server for the tests, on loopback, written from the API conventions.

It serves Services, EndpointSlices, NetworkPolicies, Namespaces, Ingresses, IngressClasses,
Secrets and Pods as the real API server's REST paths do: create (POST), replace (PUT) and
delete (DELETE) in a namespace, so that the official `kubernetes` Python client drives it;
list across namespaces with `limit` and
`continue` (each list is a snapshot kept by its continue token); watch with
`resourceVersion`, `allowWatchBookmarks` and `timeoutSeconds`, streamed as chunked
newline-delimited JSON events; lists and watches honour `fieldSelector` (`path=value`,
`path==value`, `path!=value`, comma-separated, on dotted field paths such as `type` or
`spec.nodeName`; a watch filters each event by the object it carries, so an object changed
out of the selection is not turned into a DELETED as the real server does). One
resourceVersion counter orders every change, as etcd's
revision does. `compact()` forgets the history, as etcd's compaction does: a watch from an
older version then answers 410 Gone (an ERROR event on open watches, as the real server
sends). Requests need `Authorization: Bearer <token>` when a token is set.

Over plain HTTP, or TLS with a server certificate (`tls=(certificate, key)`, the SNI of each
handshake kept in `server_names`) and, with `client_ca`, client certificates required and
verified. Counters (`lists`, `watches`, `open_watches`) let a test prove what the client did;
svcproxy watches Pods only while NetworkPolicies exist, so `listed()` and `watched()` give
the counters of the other kinds, always watched.

With `role` (a ClusterRole, as `load_cluster_role` reads it from deploy/), the token is a
service account bound to that role: a request whose verb, API group and resource no rule
allows is answered 403 Forbidden with the Status the real authorizer sends, and `used`
records each (apiGroup, resource, verb) that was allowed. The test's own client then uses
`ADMIN_TOKEN`, which is allowed everything.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import kubernetes
import yaml

ADMIN_TOKEN = "admin-token"
SERVICE_ACCOUNT = "system:serviceaccount:svcproxy:svcproxy"

RESOURCES = {
    # collection path -> (kind, apiVersion, path of one namespace's (or the cluster's) objects)
    "/api/v1/services": ("Service", "v1", "/api/v1/namespaces/{ns}/services"),
    "/apis/discovery.k8s.io/v1/endpointslices": ("EndpointSlice", "discovery.k8s.io/v1",
                                                 "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"),
    "/apis/networking.k8s.io/v1/networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1",
                                                   "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"),
    "/api/v1/namespaces": ("Namespace", "v1", "/api/v1/namespaces"),
    "/apis/networking.k8s.io/v1/ingresses": ("Ingress", "networking.k8s.io/v1", "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"),
    "/apis/networking.k8s.io/v1/ingressclasses": ("IngressClass", "networking.k8s.io/v1", "/apis/networking.k8s.io/v1/ingressclasses"),
    "/api/v1/secrets": ("Secret", "v1", "/api/v1/namespaces/{ns}/secrets"),
    "/api/v1/pods": ("Pod", "v1", "/api/v1/namespaces/{ns}/pods"),
}
PODS = "/api/v1/pods"
# What svcproxy watches from start to stop (Pods only while NetworkPolicies exist).
ALWAYS_WATCHED = tuple(c for c in RESOURCES if c != PODS)
_NAMESPACED = [
    (re.compile("^" + prefix.replace("{ns}", "(?P<ns>[a-z0-9-]+)") + "(?:/(?P<name>[a-z0-9.-]+))?$"), collection)
    for collection, (_, _, prefix) in RESOURCES.items()
]


class KubeAPIServer:
    def __init__(self, token: str | None = "test-token", bookmark_interval: float = 1.0,
                 tls: tuple[str, str] | None = None, client_ca: str | None = None, server_name: str | None = None,
                 role: dict | None = None):
        self.token = token
        self.role = role
        self.used: set[tuple[str, str, str]] = set()     # (apiGroup, resource, verb) allowed by the role
        self.bookmark_interval = bookmark_interval
        self.lock = threading.Condition()
        self.version = 1
        self.compacted = 0            # watches from a version below this get 410
        self.compactions = 0          # open watches from before a compaction get an ERROR 410 event
        self.cuts = 0                 # open watches from before a cut end in the middle of an event
        self.objects: dict[str, dict[tuple[str, str], dict]] = {c: {} for c in RESOURCES}
        self.history: list[tuple[int, str, str, dict]] = []   # (version, collection, type, object)
        self.snapshots: dict[str, tuple[str, int, list[dict]]] = {}
        self.lists: dict[str, int] = {c: 0 for c in RESOURCES}      # first pages served
        self.watches: dict[str, int] = {c: 0 for c in RESOURCES}
        self.open_watches: dict[str, int] = {c: 0 for c in RESOURCES}   # watches whose response is still being sent
        self.field_selectors: dict[str, set[str]] = {c: set() for c in RESOURCES}
        self.held: set[str] = set()   # collections whose lists wait until released
        self.stopped = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_POST(self):
                server._handle(self, "POST")

            def do_PUT(self):
                server._handle(self, "PUT")

            def do_DELETE(self):
                server._handle(self, "DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_name = server_name
        self.server_names: list[str | None] = []   # the SNI of each TLS handshake (None: none sent)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            context.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            if client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(client_ca)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="kubeapi", daemon=True)
        self.thread.start()

    # -- the official client, configured for this server

    def client(self, ca: str | None = None, certificate: tuple[str, str] | None = None) -> kubernetes.client.ApiClient:
        configuration = kubernetes.client.Configuration()
        configuration.host = self.url
        if ca:
            configuration.ssl_ca_cert = ca
            configuration.tls_server_name = self.server_name
            configuration.assert_hostname = self.server_name
        if certificate:
            configuration.cert_file, configuration.key_file = certificate
        if self.token:
            configuration.api_key = {"authorization": ADMIN_TOKEN if self.role else self.token}
            configuration.api_key_prefix = {"authorization": "Bearer"}
        return kubernetes.client.ApiClient(configuration)

    def kubeconfig(self, path, server: str | None = None, ca: str | None = None,
                   certificate: tuple[str, str] | None = None) -> str:
        """A kubeconfig naming this server, its token, a CA and a client certificate, written to `path`."""
        user = {"token": self.token} if self.token else {}
        if certificate:
            user["client-certificate"], user["client-key"] = certificate
        cluster = {"server": server or self.url}
        if ca:
            cluster["certificate-authority"] = ca
        if self.server_name:
            cluster["tls-server-name"] = self.server_name
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": cluster}],
            "users": [{"name": "test", "user": user}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        }))
        return str(path)

    # -- test controls

    def listed(self) -> dict[str, int]:
        """First pages served, per always-watched collection."""
        with self.lock:
            return {c: self.lists[c] for c in ALWAYS_WATCHED}

    def hold_lists(self, collection: str) -> None:
        """Lists of `collection` wait (up to 30 s) until `release_lists`: a slow first list."""
        with self.lock:
            self.held.add(collection)

    def release_lists(self, collection: str) -> None:
        with self.lock:
            self.held.discard(collection)
            self.lock.notify_all()

    def watched(self) -> dict[str, int]:
        """Watches opened, per always-watched collection."""
        with self.lock:
            return {c: self.watches[c] for c in ALWAYS_WATCHED}

    def compact(self) -> None:
        """Forgets every change so far: watches from an older version get 410 Gone."""
        with self.lock:
            # A version of its own, as a compaction revision is in etcd: every version handed out
            # before it is gone, including a list's whose watch has not yet been opened.
            self.version += 1
            self.compacted = self.version
            self.compactions += 1
            self.history.clear()
            self.lock.notify_all()

    def cut_watches(self) -> None:
        """Ends every open watch in the middle of an event, as a dropped connection would."""
        with self.lock:
            self.cuts += 1
            self.lock.notify_all()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- requests

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        authorization = handler.headers.get("Authorization")
        admin = self.role is not None and authorization == f"Bearer {ADMIN_TOKEN}"
        if self.token and authorization != f"Bearer {self.token}" and not admin:
            return self._status(handler, 401, "Unauthorized", "Unauthorized")
        url = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if self.role is not None and not admin and not self._authorized(handler, method, url.path, query):
            return
        if method == "GET" and url.path in RESOURCES:
            if "fieldSelector" in query:
                with self.lock:
                    self.field_selectors[url.path].add(query["fieldSelector"])
            if query.get("watch") in ("1", "true"):
                return self._watch(handler, url.path, query)
            return self._list(handler, url.path, query)
        for pattern, collection in _NAMESPACED:
            match = pattern.match(url.path)
            if match:
                return self._write(handler, method, collection, match.groupdict().get("ns") or "", match.group("name"))
        self._status(handler, 404, "NotFound", f"the server could not find {url.path}")

    def _authorized(self, handler, method: str, path: str, query: dict) -> bool:
        """The role's verdict on one request, as the RBAC authorizer gives it; a 403 is sent when it refuses."""
        group, resource, named = request_resource(path)
        if method == "GET":
            verb = "get" if named else "watch" if query.get("watch") in ("1", "true") else "list"
        else:
            verb = {"POST": "create", "PUT": "update", "DELETE": "delete"}[method]
        if role_allows(self.role, group, resource, verb):
            with self.lock:
                self.used.add((group, resource, verb))
            return True
        self._status(handler, 403, "Forbidden",
                     f'{resource}{"." + group if group else ""} is forbidden: User "{SERVICE_ACCOUNT}" cannot {verb} '
                     f'resource "{resource}" in API group "{group}" at the cluster scope',
                     details={"group": group, "kind": resource})
        return False

    def _list(self, handler, collection: str, query: dict) -> None:
        limit = int(query.get("limit", "0") or 0)
        token = query.get("continue")
        with self.lock:
            deadline = time.monotonic() + 30
            while collection in self.held and not self.stopped and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            if token:
                if token not in self.snapshots:
                    return self._status(handler, 410, "Expired", "the continue token has expired")
                _, version, items = self.snapshots.pop(token)
            else:
                self.lists[collection] += 1
                version = self.version
                items = [copy.deepcopy(o) for _, o in sorted(self.objects[collection].items())
                         if field_selected(o, query.get("fieldSelector", ""))]
        page, rest = (items[:limit], items[limit:]) if limit > 0 else (items, [])
        metadata = {"resourceVersion": str(version)}
        if rest:
            next_token = base64.b64encode(json.dumps([collection, version, len(self.snapshots)]).encode()).decode()
            with self.lock:
                self.snapshots[next_token] = (collection, version, rest)
            metadata["continue"] = next_token
        kind, api_version, _ = RESOURCES[collection]
        for item in page:   # list items carry neither kind nor apiVersion, as the API server's
            item.pop("kind", None)
            item.pop("apiVersion", None)
        self._json(handler, 200, {"kind": kind + "List", "apiVersion": api_version, "metadata": metadata, "items": page})

    def _watch(self, handler, collection: str, query: dict) -> None:
        since = int(query.get("resourceVersion", "0") or 0)
        timeout = float(query.get("timeoutSeconds", "300"))
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        with self.lock:
            self.watches[collection] += 1
            opened_in = self.compactions
            cut_in = self.cuts
            if since < self.compacted:
                gone = since
            else:
                gone = None
        if gone is not None:
            return self._status(handler, 410, "Expired", f"too old resource version: {since} ({self.compacted})")
        with self.lock:
            self.open_watches[collection] += 1
        try:
            self._stream(handler, collection, since, timeout, bookmarks, opened_in, cut_in, query.get("fieldSelector", ""))
        finally:
            with self.lock:
                self.open_watches[collection] -= 1

    def _stream(self, handler, collection: str, since: int, timeout: float, bookmarks: bool, opened_in: int, cut_in: int,
                selector: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = since
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + self.bookmark_interval
        try:
            while True:
                with self.lock:
                    if self.stopped:
                        return
                    if self.cuts != cut_in:
                        # Half an event, then the connection closes without the last chunk.
                        self._chunk(handler, '{"type":"MODIFIED","object":{"kind":')
                        handler.close_connection = True
                        return
                    if self.compactions != opened_in:
                        event = {"type": "ERROR", "object": {
                            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": f"too old resource version: {sent} ({self.compacted})", "reason": "Expired", "code": 410}}
                        self._chunk(handler, json.dumps(event) + "\n")
                        break
                    events = [(v, t, o) for v, c, t, o in self.history
                              if c == collection and v > sent and field_selected(o, selector)]
                    if not events:
                        now = time.monotonic()
                        if now >= deadline:
                            break
                        if bookmarks and now >= next_bookmark:
                            kind, api_version, _ = RESOURCES[collection]
                            events = [(sent, "BOOKMARK", {"kind": kind, "apiVersion": api_version,
                                                          "metadata": {"resourceVersion": str(self.version)}})]
                            sent = self.version
                            next_bookmark = now + self.bookmark_interval
                        else:
                            self.lock.wait(min(deadline, next_bookmark) - now)
                            continue
                for version, type_, obj in events:
                    self._chunk(handler, json.dumps({"type": type_, "object": obj}) + "\n")
                    sent = max(sent, version)
            self._chunk(handler, "")
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True

    def _write(self, handler, method: str, collection: str, namespace: str, name: str | None) -> None:
        kind, api_version, _ = RESOURCES[collection]
        body = None
        if method in ("POST", "PUT"):
            length = int(handler.headers.get("Content-Length", "0"))
            body = json.loads(handler.rfile.read(length) or b"{}")
            name = name or body.get("metadata", {}).get("name")
        elif handler.headers.get("Content-Length"):
            handler.rfile.read(int(handler.headers["Content-Length"]))
        with self.lock:
            key = (namespace, name)
            held = self.objects[collection].get(key)
            if method == "POST" and held is not None:
                return self._status(handler, 409, "AlreadyExists", f'{kind} "{name}" already exists')
            if method in ("PUT", "DELETE") and held is None:
                return self._status(handler, 404, "NotFound", f'{kind} "{name}" not found')
            self.version += 1
            if method == "DELETE":
                del self.objects[collection][key]
                obj = copy.deepcopy(held)
                obj["metadata"]["resourceVersion"] = str(self.version)
                event_type = "DELETED"
            else:
                obj = body
                obj["kind"], obj["apiVersion"] = kind, api_version
                metadata = obj.setdefault("metadata", {})
                metadata["name"] = name
                if namespace:
                    metadata["namespace"] = namespace
                metadata["resourceVersion"] = str(self.version)
                metadata.setdefault("uid", f"uid-{namespace}-{name}")
                self.objects[collection][key] = obj
                event_type = "ADDED" if method == "POST" else "MODIFIED"
            self.history.append((self.version, collection, event_type, copy.deepcopy(obj)))
            self.lock.notify_all()
        self._json(handler, 201 if method == "POST" else 200, obj)

    # -- answers

    def _json(self, handler, status: int, value) -> None:
        data = json.dumps(value).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _status(self, handler, code: int, reason: str, message: str, details: dict | None = None) -> None:
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": message, "reason": reason, "code": code}
        if details:
            status["details"] = details
        self._json(handler, code, status)

    @staticmethod
    def _chunk(handler, text: str) -> None:
        data = text.encode()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()


# --------------------------------------------------------------------------- RBAC

def load_cluster_role(paths) -> dict:
    """The one ClusterRole among the YAML documents of `paths` (deploy/*.yaml)."""
    roles = [document for path in paths for document in yaml.safe_load_all(open(path))
             if document and document.get("kind") == "ClusterRole"]
    assert len(roles) == 1, f"expected one ClusterRole in {paths}, found {len(roles)}"
    for rule in roles[0]["rules"]:
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule, f"rules of this shape are not modelled: {rule}"
    return roles[0]


def role_grants(role: dict) -> set[tuple[str, str, str]]:
    """Every (apiGroup, resource, verb) the role's rules name."""
    return {(group, resource, verb) for rule in role["rules"] for group in rule.get("apiGroups", [])
            for resource in rule.get("resources", []) for verb in rule.get("verbs", [])}


def role_allows(role: dict, group: str, resource: str, verb: str) -> bool:
    """Whether a rule of `role` allows `verb` on `resource` of `group` (`*` matching all, as RBAC does)."""
    return any(any(g in ("*", group) for g in rule.get("apiGroups", []))
               and any(r in ("*", resource) for r in rule.get("resources", []))
               and any(v in ("*", verb) for v in rule.get("verbs", []))
               for rule in role["rules"])


def request_resource(path: str) -> tuple[str, str, bool]:
    """(apiGroup, resource, names one object) of an API path: `/api/v1/namespaces/default/services/web`
    is ("", "services", True), `/apis/discovery.k8s.io/v1/endpointslices` ("discovery.k8s.io", "endpointslices", False)."""
    parts = [part for part in path.split("/") if part]
    if parts[:1] == ["api"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return "", path, False
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]                 # a namespace's collection: the resource follows
    return group, rest[0] if rest else "", len(rest) >= 2


# --------------------------------------------------------------------------- objects

def field_selected(obj: dict, selector: str) -> bool:
    """Whether `obj` has the fields `selector` asks for (the API's field selector syntax)."""
    for requirement in filter(None, (part.strip() for part in selector.split(","))):
        match = re.fullmatch(r"([A-Za-z0-9.]+)\s*(!=|==|=)\s*(.*)", requirement)
        if not match:
            raise ValueError(f"unsupported field selector {requirement!r}")
        path, operator, wanted = match.groups()
        value = obj
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        held = "" if value is None else str(value)
        if (held == wanted) != (operator != "!="):
            return False
    return True


def service_body(name: str, cluster_ip: str, node_port: int) -> dict:
    """A NodePort Service of port 80 ("http") to target port 8080."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort", "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
                     "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": node_port}]}}


def slice_body(service: str, endpoints: list[tuple[str, int]]) -> dict:
    """The EndpointSlice `<service>-1` of `endpoints` (one port for all: the first's)."""
    port = endpoints[0][1] if endpoints else 8080
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": f"{service}-1", "namespace": "default", "labels": {"kubernetes.io/service-name": service}},
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip, _ in endpoints],
            "ports": [{"name": "http", "protocol": "TCP", "port": port}]}


def create_web(api: kubernetes.client.ApiClient, backend, cluster_ip: str, node_port: int):
    """Creates Service "web" and its EndpointSlice to `backend` through the official client;
    returns the DiscoveryV1Api to change the slice with."""
    kubernetes.client.CoreV1Api(api).create_namespaced_service("default", service_body("web", cluster_ip, node_port))
    discovery = kubernetes.client.DiscoveryV1Api(api)
    discovery.create_namespaced_endpoint_slice("default", slice_body("web", [backend.endpoint]))
    return discovery


def pod_body(name: str, ip: str, labels: dict[str, str], ports: dict[str, int] | None = None, namespace: str = "default") -> dict:
    """A running, ready Pod at `ip` as the API server holds one (`kubectl get pod -o json`): owner,
    managed fields, containers with image, resources, env and mounts, and its status with
    podIPs, conditions and containerStatuses."""
    container_ports = [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in (ports or {}).items()]
    started = "2024-03-01T10:00:05Z"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": namespace, "labels": labels, "generateName": f"{name}-",
            "creationTimestamp": started, "annotations": {"kubectl.kubernetes.io/restartedAt": started},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{name}-rs", "controller": True,
                                 "blockOwnerDeletion": True, "uid": f"uid-rs-{name}"}],
            "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": started,
                               "fieldsType": "FieldsV1", "subresource": "status",
                               "fieldsV1": {"f:status": {"f:conditions": {}, "f:podIPs": {}}}}],
        },
        "spec": {
            "nodeName": "node-1", "restartPolicy": "Always", "serviceAccountName": "default", "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 30,
            "containers": [{
                "name": "app", "image": "registry.k8s.io/nginx:1.25", "imagePullPolicy": "IfNotPresent",
                "ports": container_ports,
                "env": [{"name": "MODE", "value": "test"},
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                  "readOnly": True}],
            }],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.0.1", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": started,
            "qosClass": "Burstable",
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "started": True,
                                   "image": "registry.k8s.io/nginx:1.25", "imageID": "registry.k8s.io/nginx@sha256:0d17",
                                   "containerID": "containerd://4f1c", "state": {"running": {"startedAt": started}}}],
        },
    }
