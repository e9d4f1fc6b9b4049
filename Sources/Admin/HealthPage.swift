// /healthz and /livez in kube-proxy's shape: 200 and a small JSON body with when the last
// plan was applied and the current time. /healthz turns 503 while the daemon drains after
// SIGTERM (so a load balancer stops sending this node new traffic) or when an event loop
// has stalled; /livez only for the latter.
import Foundation
import HTTP1

struct HealthPage {
    enum Kind { case healthz, livez }

    /// An event loop that has not checked in for this long is stalled.
    static let stallThreshold: UInt64 = 5_000_000_000

    let kind: Kind
    let draining: Bool
    /// Nanoseconds since the oldest worker check-in.
    let sinceCheckIn: UInt64
    let lastApplied: Double

    func response() -> HTTPResponse {
        let stalled = sinceCheckIn > Self.stallThreshold
        let healthy = !stalled && (kind == .livez || !draining)
        let now = Date()
        var body = "{\"lastUpdated\": \"\(Self.timestamp(Date(timeIntervalSince1970: lastApplied)))\", "
        body += "\"currentTime\": \"\(Self.timestamp(now))\""
        if kind == .healthz { body += ", \"draining\": \(draining)" }
        body += ", \"eventLoopsResponsive\": \(!stalled)}\n"
        return HTTPResponse(status: healthy ? .ok : .serviceUnavailable, contentType: "application/json", body: body)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
