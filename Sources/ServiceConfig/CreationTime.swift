// `metadata.creationTimestamp` as a date and the "oldest wins" order built on it, shared
// by the objects whose conflicts Kubernetes controllers settle by age: Ingresses
// (ingress-nginx) and LoadBalancer Services on the node's addresses (k3s ServiceLB).
import Foundation

enum CreationTime {
    /// An RFC 3339 time, with or without fractional seconds; nil when absent or not one.
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Oldest first: by creation time (an object without one was written by hand, now, so
    /// it comes after every one that has one), then by namespace and name.
    static func isOlder(_ a: (Date?, ObjectKey), _ b: (Date?, ObjectKey)) -> Bool {
        isOlder((a.0, false, a.1), (b.0, false, b.1))
    }

    /// As above, but where the times are equal or both missing, an object that held its
    /// place before (`Bool`) comes first: a tie is no reason to move what is served. One
    /// order on (time, held, name), so sorting by it is consistent.
    static func isOlder(_ a: (Date?, Bool, ObjectKey), _ b: (Date?, Bool, ObjectKey)) -> Bool {
        switch (a.0, b.0) {
        case (let x?, let y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        if a.1 != b.1 { return a.1 }
        return a.2 < b.2
    }
}
