// Ingress and IngressClass (networking.k8s.io/v1) as plain values: what the Ingresses of
// our class route, and how an Ingress says which controller it is for. Only the fields
// svcproxy reads or validates; each object remembers where it and its fields were written.

/// The port of a service backend: by number (`spec.ports[].port`) or by name
/// (`spec.ports[].name`); Kubernetes allows exactly one of them.
public struct IngressServicePort: Hashable, Sendable {
    public var name: String = ""
    /// 0 when not written, as the API's zero value.
    public var number: Int = 0
}

/// `backend`: a Service in the Ingress's namespace, or a resource (valid, never served).
public struct IngressBackendReference: Hashable, Sendable {
    public struct Resource: Hashable, Sendable {
        public var apiGroup: String?
        public var kind: String = ""
        public var name: String = ""
    }

    public struct ServiceReference: Hashable, Sendable {
        public var name: String = ""
        public var port = IngressServicePort()
    }

    public var service: ServiceReference?
    public var resource: Resource?

    /// `web:80` or `web:http`, as the backend was written; a resource is `Kind/name`.
    public var written: String {
        if let service {
            return "\(service.name):" + (service.port.name.isEmpty ? "\(service.port.number)" : service.port.name)
        }
        if let resource { return "\(resource.kind)/\(resource.name)" }
        return "(none)"
    }
}

/// One `spec.rules[].http.paths[]` entry.
public struct IngressHTTPPathRule: Hashable, Sendable {
    public var path: String = ""
    /// As written; nil when left out (an error: Kubernetes requires it in v1).
    public var pathType: String?
    public var backend = IngressBackendReference()
}

/// One `spec.rules[]` entry: a host (empty for any) and, if `http` was written, its paths.
public struct IngressRule: Hashable, Sendable {
    public var host: String = ""
    /// Nil when the rule has no `http`: it routes nothing.
    public var paths: [IngressHTTPPathRule]?
}

/// One `spec.tls[]` entry: the hosts served with the certificate of a `kubernetes.io/tls`
/// Secret of the Ingress's namespace (IngressTLSResolution.swift).
public struct IngressTLS: Hashable, Sendable {
    public var hosts: [String] = []
    public var secretName: String = ""
}

public struct Ingress: Hashable, Sendable {
    /// The deprecated annotation that named the class before `spec.ingressClassName`.
    public static let classAnnotation = "kubernetes.io/ingress.class"
    /// Where validation reports the annotation, in Kubernetes' own field path.
    static let classAnnotationPath = "annotations.\(classAnnotation)"
    /// `"true"`: plain-HTTP requests for the Ingress's `spec.tls` hosts are sent on to HTTPS.
    public static let sslRedirectAnnotation = "svcproxy.io/ssl-redirect"
    /// ingress-nginx's name for it, read as the same.
    public static let nginxSSLRedirectAnnotation = "nginx.ingress.kubernetes.io/ssl-redirect"
    /// The annotations whose places decoding records, for errors about them.
    static let locatedAnnotations = [classAnnotation, sslRedirectAnnotation, nginxSSLRedirectAnnotation]

    public var key: ObjectKey
    public var source: ObjectSource
    public var annotations: [String: String] = [:]
    /// `metadata.creationTimestamp` as written (RFC 3339); the oldest Ingress wins conflicts.
    public var creationTimestamp: String?
    public var ingressClassName: String?
    public var defaultBackend: IngressBackendReference?
    public var rules: [IngressRule] = []
    public var tls: [IngressTLS] = []

    public init(key: ObjectKey, source: ObjectSource) {
        self.key = key
        self.source = source
    }

    /// `Ingress "shop/web"`, as errors name it.
    public var label: String { "Ingress \"\(key)\"" }

    /// The class it asks for: `spec.ingressClassName`, else the deprecated annotation.
    public var className: String? { ingressClassName ?? annotations[Self.classAnnotation] }

    /// Whether its `spec.tls` hosts are sent on to HTTPS: `svcproxy.io/ssl-redirect`, else
    /// ingress-nginx's annotation; false when neither says "true".
    public var sslRedirect: Bool {
        (annotations[Self.sslRedirectAnnotation] ?? annotations[Self.nginxSSLRedirectAnnotation]) == "true"
    }
}

/// `spec.parameters` of an IngressClass.
public struct IngressClassParameters: Hashable, Sendable {
    public var apiGroup: String?
    public var kind: String = ""
    public var name: String = ""
    public var namespace: String?
    public var scope: String?
}

public struct IngressClass: Hashable, Sendable {
    /// The controller name svcproxy answers to in `spec.controller`.
    public static let svcproxyController = "svcproxy.io/ingress-controller"
    /// Marks the class that Ingresses without a class belong to.
    public static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

    /// Cluster-scoped: only a name.
    public var name: String
    public var source: ObjectSource
    public var annotations: [String: String] = [:]
    public var controller: String = ""
    public var parameters: IngressClassParameters?

    public init(name: String, source: ObjectSource) {
        self.name = name
        self.source = source
    }

    public var label: String { "IngressClass \"\(name)\"" }

    /// Whether the annotation marks it default ("true", as the API server compares it).
    public var isDefault: Bool { annotations[Self.defaultClassAnnotation] == "true" }
}
