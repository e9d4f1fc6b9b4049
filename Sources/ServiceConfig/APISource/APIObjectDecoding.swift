// Reads what the API server sends, JSON, through the same composer and decoder as a file:
// JSON is YAML's flow syntax, so a watch event or a list page is composed by libyaml and
// each object is decoded and checked with the strict field checks and the Kubernetes
// rules of its kind. An object that fails them is kept with its errors (APIObject.errors):
// the store leaves it out and the daemon logs and counts it, as a version skew between the
// API server and svcproxy, never a reason to stop serving the others.

/// One object from the API, decoded and checked on its own.
public struct APIObject: Sendable {
    public let name: APIObjectName
    public let resourceVersion: String
    public let checked: CheckedObjects
    /// The `service.kubernetes.io/service-proxy-name` label: a Service that names another
    /// proxy is not ours to serve (ObjectStore.serviceProxyName).
    public var serviceProxyName: String?
    /// When the change this object carries was made, from its
    /// `endpoints.kubernetes.io/last-change-trigger-time` annotation (EndpointSlices).
    public var lastChangeTriggerTime: Double?

    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"

    /// What keeps this object out of the configuration; empty when it may serve.
    public var errors: [ConfigError] { checked.loadErrors + checked.objectErrors }
}

/// One event of a watch, as the API conventions define them.
public enum WatchEvent: Sendable {
    public enum Change: String, Sendable { case added = "ADDED", modified = "MODIFIED" }

    case changed(Change, APIObject)
    case deleted(APIObjectName, resourceVersion: String)
    /// Nothing changed up to this version (allowWatchBookmarks): a watch resumes from it.
    case bookmark(resourceVersion: String)
    /// The watch failed; code 410 (Gone, reason Expired) asks for a new list.
    case error(code: Int?, reason: String, message: String)
}

/// One page of a list: its items, the version to watch from, and the next page's token.
public struct APIListPage: Sendable {
    public var items: [APIObject] = []
    public var resourceVersion = ""
    public var continueToken: String?
}

public enum APIObjectDecoding {
    /// The event on one line of a watch of `resource`; `source` names the watch in errors.
    public static func event(line: [UInt8], resource: APIResource, source: String) -> Result<WatchEvent, ConfigErrors> {
        let diagnostics = Diagnostics()
        var found: WatchEvent?
        compose(String(decoding: line, as: UTF8.self), source: source, diagnostics: diagnostics) { root in
            found = event(root, resource: resource)
        }
        guard let found else { return .failure(ConfigErrors(diagnostics.errors)) }
        return .success(found)
    }

    /// The page of a list of `resource` in `text`.
    public static func listPage(text: String, resource: APIResource, source: String) -> Result<APIListPage, ConfigErrors> {
        let diagnostics = Diagnostics()
        var page: APIListPage?
        compose(text, source: source, diagnostics: diagnostics) { root in
            guard let metadata = root.field("metadata"), let version = metadata.field("resourceVersion")?.string() else {
                root.report(missing: "metadata.resourceVersion", .required(detail: "a list names the version to watch from"))
                return
            }
            var found = APIListPage()
            found.resourceVersion = version
            found.continueToken = metadata.field("continue")?.string().flatMap { $0.isEmpty ? nil : $0 }
            found.items = (root.field("items")?.elements() ?? []).compactMap { object($0, resource: resource) }
            page = found
        }
        guard let page, diagnostics.errors.isEmpty else { return .failure(ConfigErrors(diagnostics.errors)) }
        return .success(page)
    }

    private static func compose(_ text: String, source: String, diagnostics: Diagnostics, _ body: (FieldNode) -> Void) {
        let context = DecodingContext(file: source, object: nil, diagnostics: diagnostics)
        do {
            var documents = 0
            try YAMLComposer.compose(text) { root in
                documents += 1
                let node = FieldNode(node: root, path: "", context: context)
                guard documents == 1, case .mapping = root else {
                    node.report(.invalid(value: node.shortValue, detail: "the API server sends one JSON object"))
                    return
                }
                body(node)
            }
        } catch {
            diagnostics.report(YAMLSyntax.describe(error, file: source, text: text))
        }
    }

    private static func event(_ root: FieldNode, resource: APIResource) -> WatchEvent? {
        guard let typeNode = root.field("type"), let type = typeNode.string() else {
            root.report(missing: "type", .required(detail: "a watch event has a type"))
            return nil
        }
        guard let object = root.field("object") else {
            root.report(missing: "object", .required(detail: "a watch event has an object"))
            return nil
        }
        switch type {
        case "ADDED", "MODIFIED":
            guard let decoded = self.object(object, resource: resource) else { return nil }
            return .changed(type == "ADDED" ? .added : .modified, decoded)
        case "DELETED":
            guard let name = name(of: object, resource: resource) else { return nil }
            return .deleted(name, resourceVersion: resourceVersion(of: object))
        case "BOOKMARK":
            return .bookmark(resourceVersion: resourceVersion(of: object))
        case "ERROR":
            return .error(code: object.field("code")?.int(), reason: object.field("reason")?.string() ?? "",
                          message: object.field("message")?.string() ?? "")
        default:
            typeNode.report(.unsupported(value: "\"\(type)\"", allowed: ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]))
            return nil
        }
    }

    /// An object of `resource`, decoded and checked on its own with its own diagnostics
    /// (its errors are its own, not the event's).
    private static func object(_ node: FieldNode, resource: APIResource) -> APIObject? {
        guard let name = name(of: node, resource: resource) else { return nil }
        let diagnostics = Diagnostics()
        let own = FieldNode(node: node.node, path: node.path,
                            context: DecodingContext(file: node.context.file, object: nil, diagnostics: diagnostics))
        var objects = ConfigObjects()
        ConfigLoader.loadObject(own, into: &objects, depth: 0, implied: resource)
        // A Pod from the API is for NetworkPolicy alone (APIResource.pods).
        objects.pods = objects.pods.map { $0.policyOnly() }
        if let kind = node.field("kind")?.string(), kind != resource.kind {
            diagnostics.report(ConfigError(location: own.location, object: name.description, field: "kind",
                                           reason: .unsupported(value: "\"\(kind)\"", allowed: [resource.kind])))
        }
        let metadata = node.field("metadata")
        return APIObject(name: name, resourceVersion: resourceVersion(of: node),
                         checked: CheckedObjects(objects: objects, loadErrors: diagnostics.errors),
                         serviceProxyName: metadata?.field("labels")?.field(APIObject.serviceProxyNameLabel)?.string(),
                         lastChangeTriggerTime: metadata?.field("annotations")?.field(TriggerTime.annotation)?.string()
                             .flatMap(TriggerTime.seconds))
    }

    private static func name(of object: FieldNode, resource: APIResource) -> APIObjectName? {
        guard let metadata = object.field("metadata"), let name = metadata.field("name")?.string(), !name.isEmpty else {
            object.report(missing: "metadata.name", .required(detail: "an object from the API server has a name"))
            return nil
        }
        let namespace = resource.namespaced ? (metadata.field("namespace")?.string() ?? "") : ""
        return APIObjectName(kind: resource.kind, namespace: namespace, name: name)
    }

    private static func resourceVersion(of object: FieldNode) -> String {
        object.field("metadata")?.field("resourceVersion")?.string() ?? ""
    }
}
