// Reads a kubeconfig file (clientcmd's `Config`, apiVersion v1) down to the connection of
// one context: `current-context`, or the one named. Its clusters, users and contexts are
// named lists; the context names a cluster (server, CA, `insecure-skip-tls-verify`,
// `tls-server-name`) and a user (client certificate and key, bearer token or token file).
// Relative file names are relative to the kubeconfig's own directory, as kubectl reads
// them. What svcproxy cannot do is refused with the field that asks for it: exec and
// auth-provider plugins (they run programs), basic auth, impersonation and proxies.
// Errors are ConfigErrors: file, line, column and the field path (`users[0].user.exec`).
import Foundation

public enum Kubeconfig {
    /// The connection that `text`, read from `file`, gives for `context` (nil: its
    /// `current-context`); `master` (`--master`) replaces the cluster's server.
    public static func connection(text: String, file: String, context: String? = nil,
                                  master: String? = nil) -> Result<APIServerConnection, ConfigErrors> {
        let diagnostics = Diagnostics()
        var found: APIServerConnection?
        do {
            var documents = 0
            try YAMLComposer.compose(text) { root in
                documents += 1
                guard documents == 1 else { return }
                let node = FieldNode(node: root, path: "", context: DecodingContext(file: file, object: nil, diagnostics: diagnostics))
                StrictFields.check(node, against: schema)
                found = KubeconfigReader(root: node, file: file, master: master).connection(context: context)
            }
            if documents == 0 {
                diagnostics.report(ConfigError(location: SourceLocation(file: file, line: 1, column: 1), object: nil, field: "",
                                               reason: .required(detail: "a kubeconfig needs clusters, users and contexts")))
            }
        } catch {
            diagnostics.report(YAMLSyntax.describe(error, file: file, text: text))
        }
        guard diagnostics.errors.isEmpty, let found else { return .failure(ConfigErrors(diagnostics.errors)) }
        return .success(found)
    }

    /// Reads `path` and gives its connection as `connection(text:...)` does.
    public static func connection(path: String, context: String? = nil, master: String? = nil) -> Result<APIServerConnection, ConfigErrors> {
        let diagnostics = Diagnostics()
        guard let text = ConfigLoader.read(file: path, diagnostics: diagnostics) else { return .failure(ConfigErrors(diagnostics.errors)) }
        return connection(text: text, file: path, context: context, master: master)
    }

    /// The kubeconfig to read: `flag` (`--kubeconfig`), else `KUBECONFIG` from `environment`
    /// (one file: svcproxy does not merge several as kubectl does), else nil.
    public static func path(flag: String?, environment: [String: String]) -> Result<String?, ConfigErrors> {
        if let flag, !flag.isEmpty { return .success(flag) }
        guard let variable = environment["KUBECONFIG"], !variable.isEmpty else { return .success(nil) }
        let files = variable.split(separator: ":").filter { !$0.isEmpty }
        guard files.count == 1 else {
            return .failure(ConfigErrors([ConfigError(location: nil, object: nil, field: "", reason: .invalid(
                value: "KUBECONFIG=\(variable)",
                detail: "names \(files.count) files; svcproxy reads one kubeconfig (give it with --kubeconfig or KUBECONFIG)"))]))
        }
        return .success(String(files[0]))
    }

    /// A clientcmd named list: `- name: x` beside the `key` value.
    private static func named(_ key: String, _ inner: Schema) -> Schema {
        .list(.object(["name": .scalar, key: inner]))
    }
    private static let extensions: Schema = .list(.object(["name": .scalar, "extension": .any]))

    /// clientcmd's v1 Config, every field (those svcproxy refuses too, so that the refusal
    /// names the field rather than calling it unknown).
    static let schema: Schema = .object([
        "apiVersion": .scalar, "kind": .scalar, "preferences": .any, "current-context": .scalar, "extensions": extensions,
        "clusters": named("cluster", .object([
            "server": .scalar, "tls-server-name": .scalar, "insecure-skip-tls-verify": .scalar,
            "certificate-authority": .scalar, "certificate-authority-data": .scalar, "proxy-url": .scalar,
            "disable-compression": .scalar, "extensions": extensions,
        ])),
        "users": named("user", .object([
            "client-certificate": .scalar, "client-certificate-data": .scalar, "client-key": .scalar,
            "client-key-data": .scalar, "token": .scalar, "tokenFile": .scalar, "as": .scalar, "as-uid": .scalar,
            "as-groups": .any, "as-user-extra": .any, "username": .scalar, "password": .scalar,
            "auth-provider": .any, "exec": .any, "extensions": extensions,
        ])),
        "contexts": named("context", .object([
            "cluster": .scalar, "user": .scalar, "namespace": .scalar, "extensions": extensions,
        ])),
    ])
}
