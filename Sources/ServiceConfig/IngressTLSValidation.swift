// What Ingress TLS needs judged before a plan is made, with the other validation errors so
// that a user sees them all in one run: the ssl-redirect annotations of our Ingresses, the
// Secret `--default-ssl-certificate` names, and the contents of every Secret in use
// (SecretContents.swift). Another controller's Ingresses are not ours to judge: their
// annotations and Secrets are left alone.

/// Which layer gave a node setting, so that an error about its value names the flag that
/// gave it, or the ProxyConfiguration field and its line.
struct SettingsOrigin {
    let document: ProxyConfiguration?
    let flags: NodeSettingsOverrides

    /// An error about a setting: at the flag when the command line gave it (or nobody did,
    /// and it is the default), else at the document's field.
    func error(flag: String, field: String, givenByFlag: Bool, _ reason: ConfigError.Reason) -> ConfigError {
        if !givenByFlag, let document, let location = document.source.fields[field] {
            return ConfigError(location: location, object: "ProxyConfiguration", field: field, reason: reason)
        }
        return ConfigError(location: nil, object: nil, field: flag, reason: reason)
    }
}

struct IngressTLSValidation {
    private(set) var errors: [ConfigError] = []
    /// The decoded certificates of the Secrets in use.
    let contents: SecretContents

    init(objects: ConfigObjects, settings: NodeSettings, origin: SettingsOrigin) {
        let served = IngressSelection(objects: objects, className: settings.ingressClass).served
        for ingress in served { errors += Self.validateSSLRedirect(ingress) }
        var wanted = Set(served.flatMap { ingress in
            ingress.tls.filter { !$0.secretName.isEmpty }.map { ObjectKey(namespace: ingress.key.namespace, name: $0.secretName) }
        })
        if let key = settings.defaultSSLCertificate {
            wanted.insert(key)
            let problem: String? = switch objects.secrets.first(where: { $0.key == key }) {
            case nil: "there is no Secret \"\(key)\" in the configuration"
            case let secret? where !secret.isTLS:
                "\(secret.label) is of type \(secret.type): the default certificate must be a \(Secret.tlsType) Secret"
            default: nil
            }
            if let problem {
                errors.append(origin.error(flag: "--default-ssl-certificate", field: "defaultSSLCertificate",
                                           givenByFlag: origin.flags.defaultSSLCertificate != nil,
                                           .invalid(value: "\"\(key)\"", detail: problem)))
            }
        }
        contents = SecretContents(secrets: objects.secrets, wanted: wanted)
        errors += contents.errors
    }

    /// "true" or "false" in each ssl-redirect annotation, and the same in both when both are set.
    static func validateSSLRedirect(_ ingress: Ingress) -> [ConfigError] {
        var errors = ObjectErrors(label: ingress.label, source: ingress.source)
        let names = [Ingress.sslRedirectAnnotation, Ingress.nginxSSLRedirectAnnotation]
        for name in names {
            guard let value = ingress.annotations[name], value != "true", value != "false" else { continue }
            errors.add("annotations.\(name)", .unsupported(value: "\"\(value)\"", allowed: ["false", "true"]))
        }
        if errors.errors.isEmpty, let ours = ingress.annotations[names[0]], let nginx = ingress.annotations[names[1]], ours != nginx {
            errors.add("annotations.\(names[1])", .invalid(value: "\"\(nginx)\"", detail: "must match annotation \(names[0]) when both are set"))
        }
        return errors.errors
    }
}
