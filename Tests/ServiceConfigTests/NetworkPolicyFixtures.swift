// Pods and NetworkPolicies as YAML documents, for the tests of policy admission, pod
// identity and egress.

/// A running, ready Pod at `ip` with `labels` (a flow mapping) and container `ports`.
func podDocument(_ name: String, ip: String, labels: String, namespace: String = "shop",
                 ports: String = "[{name: http, containerPort: 8080}]", spec: String = "") -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata: {name: \(name), namespace: \(namespace), labels: \(labels)}
    spec:
      containers: [{name: app, image: web, ports: \(ports)}]
    \(spec.isEmpty ? "" : "  " + spec + "\n")\
    status: {phase: Running, podIP: \(ip), conditions: [{type: Ready, status: "True"}]}
    """
}

/// A NetworkPolicy; `spec` is the YAML under `spec:`, indented by two spaces.
func policyDocument(_ name: String, _ spec: String, namespace: String = "shop") -> String {
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n" + spec
}
