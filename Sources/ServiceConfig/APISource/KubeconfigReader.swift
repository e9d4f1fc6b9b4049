// The walk through one kubeconfig document (Kubeconfig.swift): the context, then its
// cluster and user, each field read with its path so that an error points at it.
import Foundation

struct KubeconfigReader {
    let root: FieldNode
    let file: String
    let master: String?

    /// The connection of `context` (else `current-context`); nil once an error is reported.
    func connection(context wanted: String?) -> APIServerConnection? {
        if let kind = root.field("kind")?.string(), kind != "Config" {
            root.field("kind")?.report(.unsupported(value: "\"\(kind)\"", allowed: ["Config"]))
        }
        let contextName: String
        if let wanted {
            contextName = wanted
        } else if let current = root.field("current-context")?.string(), !current.isEmpty {
            contextName = current
        } else {
            root.report(missing: "current-context", .required(detail: "names the context to use (svcproxy has no --context flag)"))
            return nil
        }
        guard let context = entry(in: "contexts", named: contextName, key: "context", at: root.field("current-context") ?? root) else { return nil }
        guard let clusterName = required(context, "cluster") else { return nil }
        let userName = optional(context, "user") ?? ""
        guard let cluster = entry(in: "clusters", named: clusterName, key: "cluster", at: context.field("cluster") ?? context) else { return nil }
        guard let connection = server(of: cluster, origin: "kubeconfig \(file) (context \"\(contextName)\")") else { return nil }
        var result = connection
        read(cluster: cluster, into: &result)
        if !userName.isEmpty {
            guard let user = entry(in: "users", named: userName, key: "user", at: context.field("user") ?? context) else { return nil }
            read(user: user, into: &result)
        }
        return result
    }

    /// The `key` value of the element of list `list` whose `name` is `name`.
    private func entry(in list: String, named name: String, key: String, at reference: FieldNode) -> FieldNode? {
        let elements = root.field(list)?.elements() ?? []
        guard let element = elements.first(where: { $0.field("name")?.string() == name }) else {
            let known = elements.compactMap { $0.field("name")?.string() }
            reference.report(.invalid(value: "\"\(name)\"", detail: "no entry of \(list) has this name"
                + (known.isEmpty ? " (\(list) is empty)" : "; there are: " + known.map { "\"\($0)\"" }.joined(separator: ", "))))
            return nil
        }
        guard let value = element.field(key) else {
            element.report(missing: key, .required(detail: "each entry of \(list) has a \(key)"))
            return nil
        }
        return value
    }

    private func required(_ node: FieldNode, _ key: String) -> String? {
        guard let value = node.field(key)?.string(), !value.isEmpty else {
            node.report(missing: key, .required(detail: "must be set"))
            return nil
        }
        return value
    }

    private func optional(_ node: FieldNode, _ key: String) -> String? {
        node.field(key)?.string()
    }

    private func server(of cluster: FieldNode, origin: String) -> APIServerConnection? {
        if let master, !master.isEmpty {
            guard let url = APIServerURL(master) else {
                root.context.diagnostics.report(ConfigError(location: nil, object: nil, field: "", reason: .invalid(
                    value: "--master \(master)", detail: "must be an https:// or http:// URL: scheme, host, optional port and path")))
                return nil
            }
            return APIServerConnection(server: url, origin: origin + " with --master")
        }
        guard let text = required(cluster, "server"), let node = cluster.field("server") else { return nil }
        guard let url = APIServerURL(text) else {
            node.report(.invalid(value: node.shortValue, detail: "must be an https:// or http:// URL: scheme, host, optional port and path"))
            return nil
        }
        return APIServerConnection(server: url, origin: origin)
    }

    private func read(cluster: FieldNode, into connection: inout APIServerConnection) {
        connection.certificateAuthority = pem(cluster, file: "certificate-authority", data: "certificate-authority-data")
        connection.insecureSkipTLSVerify = cluster.field("insecure-skip-tls-verify")?.bool() ?? false
        if connection.insecureSkipTLSVerify, connection.certificateAuthority != nil, let node = cluster.field("insecure-skip-tls-verify") {
            node.report(.forbidden(detail: "may not be true together with certificate-authority or certificate-authority-data"))
        }
        connection.tlsServerName = optional(cluster, "tls-server-name").flatMap { $0.isEmpty ? nil : $0 }
        refuse(cluster, "proxy-url", because: "svcproxy connects to the API server directly, not through a proxy")
    }

    private func read(user: FieldNode, into connection: inout APIServerConnection) {
        refuse(user, "exec", because: "svcproxy runs no credential plugins; give a token, tokenFile or a client certificate")
        refuse(user, "auth-provider", because: "svcproxy runs no auth-provider plugins; give a token, tokenFile or a client certificate")
        for field in ["username", "password"] {
            refuse(user, field, because: "basic authentication is not supported by the API server since Kubernetes 1.19")
        }
        for field in ["as", "as-uid", "as-groups", "as-user-extra"] {
            refuse(user, field, because: "svcproxy does not impersonate")
        }
        connection.clientCertificate = pem(user, file: "client-certificate", data: "client-certificate-data")
        connection.clientKey = pem(user, file: "client-key", data: "client-key-data")
        // Judged on what was written, so that a key that is not base64 is one error, not two.
        let hasCertificate = user.field("client-certificate") != nil || user.field("client-certificate-data") != nil
        let hasKey = user.field("client-key") != nil || user.field("client-key-data") != nil
        if hasCertificate != hasKey {
            user.report(missing: hasKey ? "client-certificate" : "client-key",
                        .required(detail: "a client certificate needs its key and a key its certificate"))
        }
        let token = optional(user, "token").flatMap { $0.isEmpty ? nil : BearerToken.literal($0) }
        let tokenFile = optional(user, "tokenFile").flatMap { $0.isEmpty ? nil : BearerToken.file(resolve($0)) }
        connection.bearerToken = token ?? tokenFile
    }

    /// A file or inline data; both set is an error, as clientcmd's validation makes it.
    private func pem(_ node: FieldNode, file fileKey: String, data dataKey: String) -> PEMSource? {
        let path = optional(node, fileKey).flatMap { $0.isEmpty ? nil : $0 }
        guard let dataNode = node.field(dataKey), let text = dataNode.string(), !text.isEmpty else {
            return path.map { .file(resolve($0)) }
        }
        if path != nil {
            dataNode.report(.forbidden(detail: "may not be set together with \(fileKey)"))
            return nil
        }
        switch Base64Syntax.decode(text) {
        case .success(let bytes): return .data(bytes)
        case .failure(let corrupt):
            dataNode.report(.invalid(value: "<\(text.utf8.count) bytes>", detail: "must be base64 (\(corrupt))"))
            return nil
        }
    }

    private func refuse(_ node: FieldNode, _ key: String, because reason: String) {
        node.field(key)?.report(.forbidden(detail: reason))
    }

    /// A file named in the kubeconfig, relative to the kubeconfig's directory.
    private func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? path : directory + "/" + path
    }
}
