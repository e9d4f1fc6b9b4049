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
        objects.append(other.objects)
        loadErrors += other.loadErrors
        objectErrors += other.objectErrors
        validServices += other.validServices
    }

    /// An error of reading that is not about one object's fields (a missing file).
    mutating func report(_ error: ConfigError) { loadErrors.append(error) }
}

extension ConfigObjects {
    /// Adds the objects of `other` after these.
    mutating func append(_ other: ConfigObjects) {
        services += other.services
        endpoints += other.endpoints
        endpointSlices += other.endpointSlices
        pods += other.pods
        proxyConfigurations += other.proxyConfigurations
        networkPolicies += other.networkPolicies
        namespaces += other.namespaces
        ingresses += other.ingresses
        ingressClasses += other.ingressClasses
        secrets += other.secrets
        skipped += other.skipped
    }
}
