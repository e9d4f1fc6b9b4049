// The connection of a Pod that runs svcproxy (a DaemonSet): the API server's Service from
// KUBERNETES_SERVICE_HOST and _PORT, the CA and the token from the service account's
// directory, as client-go's rest.InClusterConfig reads them. The token stays a file: it is
// rotated on disk (a projected token lives an hour) and read again for each request.

public enum InClusterConfig {
    /// Where the kubelet mounts the service account's token, CA and namespace.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The in-cluster connection when `environment` has both variables, nil when it has
    /// neither; an error when one is missing or they do not make an address.
    public static func connection(environment: [String: String],
                                  serviceAccountDirectory directory: String = serviceAccountDirectory) -> Result<APIServerConnection?, ConfigErrors> {
        let host = environment["KUBERNETES_SERVICE_HOST"] ?? ""
        let port = environment["KUBERNETES_SERVICE_PORT"] ?? ""
        if host.isEmpty && port.isEmpty { return .success(nil) }
        func failure(_ detail: String) -> Result<APIServerConnection?, ConfigErrors> {
            .failure(ConfigErrors([ConfigError(location: nil, object: nil, field: "", reason: .invalid(
                value: "KUBERNETES_SERVICE_HOST=\(host) KUBERNETES_SERVICE_PORT=\(port)", detail: detail))]))
        }
        guard !host.isEmpty, !port.isEmpty else { return failure("both must be set for the in-cluster configuration") }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard let url = APIServerURL("https://" + authority) else { return failure("must be a host and a port number") }
        var connection = APIServerConnection(server: url, origin: "in-cluster configuration (\(directory))")
        connection.certificateAuthority = .file(directory + "/ca.crt")
        connection.bearerToken = .file(directory + "/token")
        return .success(connection)
    }
}
