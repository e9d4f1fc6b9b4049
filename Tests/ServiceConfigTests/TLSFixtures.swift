// Secrets and TLS Ingresses for the TLS tests, next to `webService`. The test key holds a
// marker that must never reach an error, a note, a printed plan or a description.
import Foundation
@testable import ServiceConfig

/// In the test key; no output may contain it.
let keyMarker = "KEYMARKERsvcproxyNEVERprint"
let testCertificatePEM = "-----BEGIN CERTIFICATE-----\nTUlJQmR1bW15Y2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
let testKeyPEM = "-----BEGIN PRIVATE KEY-----\n\(keyMarker)\n-----END PRIVATE KEY-----\n"

func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// Every form in which key bytes could leak into text: the marker, the key as `data`
/// holds it, and the key's bytes printed as an array.
let keyLeaks = [keyMarker, base64(testKeyPEM), Array(keyMarker.utf8).prefix(6).map(String.init).joined(separator: ", ")]

/// A Secret document; `body` are its lines after `metadata` (type, data, stringData...).
func secretYAML(_ name: String, namespace: String = "shop", _ body: [String]) -> String {
    "apiVersion: v1\nkind: Secret\nmetadata: {name: \(name), namespace: \(namespace)}\n" + body.map { $0 + "\n" }.joined() + "---\n"
}

/// `type: kubernetes.io/tls` with the test pair as base64 `data`, as kubectl writes it.
func tlsSecretBody(certificate: String = base64(testCertificatePEM), key: String = base64(testKeyPEM)) -> [String] {
    ["type: kubernetes.io/tls", "data:", "  tls.crt: \(certificate)", "  tls.key: \(key)"]
}

func tlsSecret(_ name: String, namespace: String = "shop") -> String { secretYAML(name, namespace: namespace, tlsSecretBody()) }

/// `text` as the lines of a YAML block scalar under a key indented by two.
func blockLines(_ text: String) -> [String] {
    text.split(separator: "\n").map { "    " + $0 }
}

/// An Ingress spec with these `spec.tls` entries ("SECRET HOST HOST..."; "-" for no
/// secretName) and a default backend.
func tlsSpec(_ entries: String...) -> String {
    let tls = entries.map { entry -> String in
        let parts = entry.split(separator: " ").map(String.init)
        let hosts = parts.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")
        return parts[0] == "-" ? "{hosts: [\(hosts)]}" : "{hosts: [\(hosts)], secretName: \(parts[0])}"
    }
    return "{tls: [\(tls.joined(separator: ", "))], defaultBackend: \(backendYAML("web:80"))}"
}

/// Loads `documents` after `webService` from one in-memory file, `all.yaml`.
func planTLS(_ documents: [String], settings: NodeSettings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!]),
             flags: NodeSettingsOverrides = NodeSettingsOverrides()) -> Result<LoadedPlan, ConfigErrors> {
    let (objects, loadErrors) = ConfigLoader.load(text: webService + "\n---\n" + documents.joined(), file: "all.yaml")
    return Configuration.plan(objects: objects, settings: settings, overrides: flags, loadErrors: loadErrors)
}

extension Result where Success == LoadedPlan, Failure == ConfigErrors {
    /// Each error as printed.
    var errorLines: [String] {
        guard case .failure(let errors) = self else { return [] }
        return errors.errors.map(\.description)
    }

    /// Everything a user or a log could see of this result: errors, notes, the printed
    /// plan, and the plan as `print`, `debugPrint` and `dump` show it.
    var everythingShown: String {
        switch self {
        case .failure(let errors):
            return errors.description + String(reflecting: errors)
        case .success(let loaded):
            var dumped = ""
            dump(loaded.plan, to: &dumped)
            return loaded.notes.joined(separator: "\n") + loaded.plan.printed + String(describing: loaded.plan)
                + String(reflecting: loaded.plan) + dumped
        }
    }
}
