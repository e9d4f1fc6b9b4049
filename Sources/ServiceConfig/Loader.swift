// Reads configuration paths into objects: files and directories (`*.yaml`, `*.yml`,
// sorted, not recursive), multi-document YAML, and `kind: List`. Objects of kinds that
// svcproxy does not serve are skipped with a note, so a whole application manifest loads.
import Foundation

public enum ConfigLoader {
    /// Loads every object under `paths`: what could be read, and every error found on
    /// the way (an object with an error is still returned, so that validation can report
    /// its other errors too).
    public static func load(paths: [String]) -> (objects: ConfigObjects, errors: [ConfigError]) {
        let diagnostics = Diagnostics()
        var objects = ConfigObjects()
        for file in expand(paths: paths, diagnostics: diagnostics) {
            load(file: file, into: &objects, diagnostics: diagnostics)
        }
        return (objects, diagnostics.errors)
    }

    /// Files named by `paths`, directories replaced by their YAML files in name order.
    static func expand(paths: [String], diagnostics: Diagnostics) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.report(ConfigError(location: nil, object: nil, field: "", reason: .unreadable(detail: "\(path): No such file or directory")))
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .filter { !$0.hasPrefix(".") }
                .sorted()
                .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
        }
        return files
    }

    /// Loads one file's documents.
    static func load(file: String, into objects: inout ConfigObjects, diagnostics: Diagnostics) {
        guard let text = read(file: file, diagnostics: diagnostics) else { return }
        load(text: text, file: file, into: &objects, diagnostics: diagnostics)
    }

    /// One file's text, or nil (and why, in `diagnostics`).
    static func read(file: String, diagnostics: Diagnostics) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else {
            diagnostics.report(ConfigError(location: nil, object: nil, field: "", reason: .unreadable(detail: "\(file): cannot be read")))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            diagnostics.report(ConfigError(location: SourceLocation(file: file, line: 1, column: 1), object: nil, field: "",
                                           reason: .unreadable(detail: "not UTF-8 text")))
            return nil
        }
        return text
    }

    /// Loads the documents of `text` as if read from `file` (the fuzz target's entry).
    public static func load(text: String, file: String) -> (objects: ConfigObjects, errors: [ConfigError]) {
        let diagnostics = Diagnostics()
        var objects = ConfigObjects()
        load(text: text, file: file, into: &objects, diagnostics: diagnostics)
        return (objects, diagnostics.errors)
    }

    static func load(text: String, file: String, into objects: inout ConfigObjects, diagnostics: Diagnostics) {
        for document in DocumentSplitter.split(text) {
            guard load(document: document, file: file, fileText: text, into: &objects, diagnostics: diagnostics) else { return }
        }
    }

    /// Loads one document of `fileText`; false when it is not YAML, and then the documents
    /// after it are not read (libyaml stops at its first error in a stream).
    static func load(document: DocumentText, file: String, fileText: String, into objects: inout ConfigObjects,
                     diagnostics: Diagnostics) -> Bool {
        let context = DecodingContext(file: file, object: nil, diagnostics: diagnostics)
        do {
            try YAMLComposer.compose(String(document.text), firstLine: document.firstLine) { root in
                loadObject(FieldNode(node: root, path: "", context: context), into: &objects, depth: 0)
            }
            return true
        } catch {
            diagnostics.report(YAMLSyntax.describe(error, file: file, text: fileText))
            return false
        }
    }

    /// Dispatches one document (or one item of a `List`) on its `kind`, and checks its
    /// fields strictly where svcproxy knows the kind's whole schema. `implied` is the kind
    /// of an item of an API server's list, which writes neither kind nor apiVersion.
    static func loadObject(_ root: FieldNode, into objects: inout ConfigObjects, depth: Int, implied: APIResource? = nil) {
        if root.node.isNull { return }
        guard case .mapping = root.node else {
            root.report(.invalid(value: root.shortValue, detail: "a document must be a Kubernetes object (a mapping with apiVersion and kind)"))
            return
        }
        let kind: String
        if let implied, root.field("kind") == nil {
            kind = implied.kind
        } else {
            guard let kindNode = root.field("kind") else {
                root.report(missing: "kind", .required(detail: "every object needs apiVersion and kind"))
                return
            }
            guard let written = kindNode.string() else { return }
            kind = written
        }
        var decoder = ObjectDecoder(root: root)
        decoder.impliedAPIVersion = implied?.apiVersion
        // Every object read below has ObjectMeta; its labels and annotations are checked
        // after decoding, once the decoder has named the object, so that errors name it.
        defer { if decoder.root.context.object != nil { MetadataRules.check(decoder.root) } }
        switch kind {
        case "Service":
            objects.services.append(decoder.decodeService())
            decoder.checkAPIVersion("v1")
            StrictFields.check(decoder.root, against: Schemas.service)
        case "Endpoints":
            objects.endpoints.append(decoder.decodeEndpoints())
            decoder.checkAPIVersion("v1")
            StrictFields.check(decoder.root, against: Schemas.endpoints)
        case "EndpointSlice":
            objects.endpointSlices.append(decoder.decodeEndpointSlice())
            decoder.checkAPIVersion("discovery.k8s.io/v1")
            StrictFields.check(decoder.root, against: Schemas.endpointSlice)
        case "Pod":
            objects.pods.append(decoder.decodePod())
            decoder.checkAPIVersion("v1")
        case "NetworkPolicy":
            objects.networkPolicies.append(decoder.decodeNetworkPolicy())
            decoder.checkAPIVersion("networking.k8s.io/v1")
            StrictFields.check(decoder.root, against: Schemas.networkPolicy)
        case "Namespace":
            objects.namespaces.append(decoder.decodeNamespace())
            decoder.checkAPIVersion("v1")
            StrictFields.check(decoder.root, against: Schemas.namespace)
        case "Ingress":
            guard !decoder.reportRemovedIngressVersion() else { return }
            objects.ingresses.append(decoder.decodeIngress())
            decoder.checkAPIVersion(ObjectDecoder.networkingVersion)
            StrictFields.check(decoder.root, against: Schemas.ingress)
        case "IngressClass":
            objects.ingressClasses.append(decoder.decodeIngressClass())
            decoder.checkAPIVersion(ObjectDecoder.networkingVersion)
            StrictFields.check(decoder.root, against: Schemas.ingressClass)
        case "Secret":
            let secret = decoder.decodeSecret()
            decoder.checkAPIVersion("v1")
            StrictFields.check(decoder.root, against: Schemas.secret)
            objects.secrets.append(secret)
            if !secret.isTLS {
                objects.skipped.append("\(root.location): skipped \(secret.label) of type \(secret.type): svcproxy reads only \(Secret.tlsType) Secrets")
            }
        case "ProxyConfiguration":
            objects.proxyConfigurations.append(decoder.decodeProxyConfiguration())
            StrictFields.check(decoder.root, against: Schemas.proxyConfiguration)
        case "List", "ServiceList", "EndpointsList", "EndpointSliceList", "PodList", "NetworkPolicyList", "NamespaceList",
             "IngressList", "IngressClassList", "SecretList":
            StrictFields.check(root, against: Schemas.list)
            guard depth < 8 else {
                root.report(.invalid(value: "List", detail: "Lists may be nested at most 8 deep"))
                return
            }
            // Each item's paths start at the item, as the API server reports an object's
            // fields (`spec.ports[0]`, not `items[3].spec.ports[0]`).
            for item in root.field("items")?.elements() ?? [] {
                loadObject(FieldNode(node: item.node, path: "", context: item.context), into: &objects, depth: depth + 1)
            }
        default:
            let name = root.field("metadata")?.field("name")?.string() ?? "(unnamed)"
            objects.skipped.append("\(root.location): " + KindSuggestion.note(kind: kind, name: name))
        }
    }
}
