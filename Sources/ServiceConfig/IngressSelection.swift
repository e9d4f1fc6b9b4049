// Which Ingresses are svcproxy's, as Kubernetes and ingress-nginx decide it. An Ingress
// names its class in `spec.ingressClassName` (or the deprecated `kubernetes.io/ingress.class`
// annotation). It is ours when:
// - that name is an IngressClass whose `spec.controller` is svcproxy.io/ingress-controller;
// - no IngressClass has that name, and it is our class name (`--ingress-class`), so that
//   a configuration without IngressClass objects still works;
// - it names no class, and the default IngressClass (annotation
//   ingressclass.kubernetes.io/is-default-class: "true") is ours or there is none.
// Every other Ingress belongs to another controller; a note says which one and why.

struct IngressSelection {
    /// The Ingresses of our class, in configuration order.
    private(set) var served: [Ingress] = []
    /// One line per Ingress left to another controller.
    private(set) var notes: [String] = []

    init(objects: ConfigObjects, className: String) {
        let classes = Dictionary(objects.ingressClasses.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let defaults = objects.ingressClasses.filter(\.isDefault).sorted { $0.name < $1.name }
        for ingress in objects.ingresses {
            if let reason = Self.reasonNotOurs(ingress, classes: classes, defaults: defaults, className: className) {
                notes.append("\(ingress.source.location): \(ingress.label) skipped: \(reason)")
            } else {
                served.append(ingress)
            }
        }
    }

    /// Nil when the Ingress is ours, else why not, in words.
    private static func reasonNotOurs(_ ingress: Ingress, classes: [String: IngressClass], defaults: [IngressClass],
                                      className: String) -> String? {
        guard let name = ingress.className else {
            guard !defaults.isEmpty, !defaults.contains(where: \.isOurs) else { return nil }
            return "it names no class, and the default class is \(defaults.map(\.described).joined(separator: ", "))"
        }
        let written = ingress.ingressClassName == nil ? "its class \"\(name)\" (annotation \(Ingress.classAnnotation))" : "its class \"\(name)\""
        if let ingressClass = classes[name] {
            return ingressClass.isOurs ? nil : "\(written) is \(ingressClass.described)"
        }
        if name == className { return nil }
        return "\(written) is not svcproxy's class \"\(className)\" (--ingress-class), "
            + "and no IngressClass \"\(name)\" names the controller \(IngressClass.svcproxyController)"
    }
}

extension IngressClass {
    var isOurs: Bool { controller == Self.svcproxyController }

    /// `IngressClass "nginx" of controller k8s.io/ingress-nginx`.
    var described: String { "\(label) of controller \(controller)" }
}
