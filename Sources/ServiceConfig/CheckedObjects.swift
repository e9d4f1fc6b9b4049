// Objects together with what could be judged of each one alone: the errors of reading it
// and the Kubernetes rules of its own fields (ValidateService and friends). These depend
// on nothing but the object, so they are computed once per document and kept with it
// (ObjectStore); what needs several objects (uniqueness, allocation, listen conflicts,
// the Ingresses' Secrets) is judged again at every plan, over all of them.

public struct CheckedObjects: Sendable {
    public private(set) var objects = ConfigObjects()
    /// The errors of reading the objects (YAML, types, unknown fields).
    public private(set) var loadErrors: [ConfigError] = []
    /// The errors of each object's own rules.
    public private(set) var objectErrors: [ConfigError] = []
    /// The services whose own rules hold: only these take part in allocation.
    public private(set) var validServices: [Service] = []
    /// The document was not YAML: the documents after it in its file are not read.
    var stoppedReading = false

    public init() {}

    /// Checks each of `objects`, read with `loadErrors`.
    public init(objects: ConfigObjects, loadErrors: [ConfigError]) {
        self.objects = objects
        self.loadErrors = loadErrors
        for service in objects.services {
            let found = Validation.validate(service)
            objectErrors += found
            if found.isEmpty { validServices.append(service) }
        }
        objectErrors += objects.endpoints.flatMap { Validation.validate($0) }
        objectErrors += objects.endpointSlices.flatMap { Validation.validate($0) }
        objectErrors += objects.pods.flatMap { Validation.validate($0) }
        objectErrors += objects.networkPolicies.flatMap { Validation.validate($0) }
        objectErrors += objects.namespaces.flatMap { Validation.validate($0) }
        objectErrors += objects.ingresses.flatMap { Validation.validate($0) }
        objectErrors += objects.ingressClasses.flatMap { Validation.validate($0) }
        objectErrors += objects.secrets.flatMap { Validation.validate($0) }
    }

    /// Adds the objects of `other` after these (file order decides who owns a value).
    mutating func append(_ other: CheckedObjects) {
        var appending = AppendingArrays(target: CheckedObjects(), other: other, objects: \.objects)
        swap(&self, &appending.target)  // moved, not shared: the arrays grow in place
        Self.visitArrays(&appending)
        swap(&self, &appending.target)
    }

    /// An error of reading that is not about one object's fields (a missing file).
    mutating func report(_ error: ConfigError) { loadErrors.append(error) }
}

extension CheckedObjects {
    /// Every array: the objects' (ConfigObjects.visitArrays), then the errors and the valid Services.
    static func visitArrays<Visitor: ObjectArrayVisitor>(_ visitor: inout Visitor) where Visitor.Root == CheckedObjects {
        ConfigObjects.visitArrays(&visitor)
        visitor.visit(\.loadErrors)
        visitor.visit(\.objectErrors)
        visitor.visit(\.validServices)
    }

    /// The length of each array, in `visitArrays` order.
    var counts: [Int] {
        var counting = CountingArrays(root: self, objects: \.objects)
        Self.visitArrays(&counting)
        return counting.counts
    }

    /// Puts `entry`'s objects and errors in place of as many starting at `start` (one
    /// offset per array, in `visitArrays` order): a document that changed without
    /// changing how many objects it holds, patched into the objects of all documents.
    mutating func replace(at start: [Int], with entry: CheckedObjects) {
        var replacing = ReplacingArrays(target: CheckedObjects(), entry: entry, start: start, objects: \.objects)
        swap(&self, &replacing.target)
        Self.visitArrays(&replacing)
        swap(&self, &replacing.target)
    }
}
