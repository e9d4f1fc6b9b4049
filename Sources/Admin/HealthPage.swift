// /healthz and /livez in kube-proxy's shape: 200 and a small JSON body with when the last
// plan was applied and the current time. /healthz turns 503 while the daemon drains after
// SIGTERM (so a load balancer stops sending this node new traffic), when an event loop
// has stalled, or while the API server has not been listed or does not answer (the reason
// in the body); /livez only for a stall.
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
    /// DaemonState.Snapshot.sourceProblem.
    var sourceProblem: String?

    func response() -> HTTPResponse {
        let stalled = sinceCheckIn > Self.stallThreshold
        let healthy = !stalled && (kind == .livez || (!draining && sourceProblem == nil))
        let now = Date()
        var body = "{\"lastUpdated\": \"\(Self.timestamp(Date(timeIntervalSince1970: lastApplied)))\", "
        body += "\"currentTime\": \"\(Self.timestamp(now))\""
        if kind == .healthz { body += ", \"draining\": \(draining)" }
        body += ", \"eventLoopsResponsive\": \(!stalled)"
        if kind == .healthz, let sourceProblem { body += ", \"reason\": \(Self.jsonString(sourceProblem))" }
        body += "}\n"
        return HTTPResponse(status: healthy ? .ok : .serviceUnavailable, contentType: "application/json", body: body)
    }

    /// `text` as a JSON string.
    static func jsonString(_ text: String) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]),
              let array = String(data: data, encoding: .utf8) else { return "\"\"" }
        return String(array.dropFirst().dropLast())
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
