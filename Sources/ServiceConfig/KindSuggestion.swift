// Objects of kinds svcproxy does not serve are skipped with a note, so that a whole
// application manifest loads. A misspelt kind (`kind: Servce`) is skipped the same way,
// and the Service it meant silently never exists; so when an unknown kind is a small typo
// away from one we read, the note says which one it probably meant. It stays a note: the
// kind may be a custom resource that happens to look like ours.

enum KindSuggestion {
    /// Every kind the loader reads (Loader.loadObject).
    static let servedKinds = [
        "Service", "Endpoints", "EndpointSlice", "Pod", "NetworkPolicy", "Namespace", "Ingress", "IngressClass",
        "Secret", "ProxyConfiguration", "List", "ServiceList", "EndpointsList", "EndpointSliceList", "PodList",
        "NetworkPolicyList", "NamespaceList", "IngressList", "IngressClassList", "SecretList",
    ]

    /// The served kind `kind` most likely misspells, if any: the nearest within two edits
    /// (one for kinds of four letters or fewer, so that `Job` and `Node`, real kinds, are
    /// not taken for `Pod`), ignoring case; ties go to the kind first in `servedKinds`.
    static func suggestion(for kind: String) -> String? {
        let lowered = kind.lowercased()
        var best: (kind: String, distance: Int)?
        for candidate in servedKinds {
            let limit = candidate.count <= 4 ? 1 : 2
            let distance = editDistance(lowered, candidate.lowercased(), limit: limit)
            guard distance <= limit, distance < (best?.distance ?? Int.max) else { continue }
            best = (candidate, distance)
        }
        return best?.kind
    }

    /// The note for a skipped object of an unknown kind.
    static func note(kind: String, name: String) -> String {
        if let meant = suggestion(for: kind) {
            return "skipped \(kind) \"\(name)\": unknown kind \"\(kind)\": did you mean \"\(meant)\"?"
        }
        return "skipped \(kind) \"\(name)\": svcproxy does not serve this kind"
    }

    /// Damerau-Levenshtein distance (the optimal string alignment variant: insertions,
    /// deletions, substitutions and swaps of two neighbours, each costing one), or
    /// `limit + 1` as soon as the strings' lengths alone prove it larger.
    static func editDistance(_ a: String, _ b: String, limit: Int = .max - 1) -> Int {
        let a = Array(a), b = Array(b)
        guard abs(a.count - b.count) <= limit else { return limit + 1 }
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        // Three rows: the one before the previous is what a swap looks back to.
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
