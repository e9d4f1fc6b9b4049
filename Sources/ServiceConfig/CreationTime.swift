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
        switch (a.0, b.0) {
        case (let x?, let y?) where x != y: x < y
        case (_?, nil): true
        case (nil, _?): false
        default: a.1 < b.1
        }
    }
}
