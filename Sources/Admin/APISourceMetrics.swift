// The Kubernetes API source's part of GET /metrics (only when it is a source): how often
// watches were started again and kinds listed again (410), the events applied by kind and
// type, and the objects left out because svcproxy's checks refused them (a version skew to
// report, kube-proxy has no such metric because it reads what the API server validated).

/// What the daemon's main loop counts of the API source, published through DaemonState.
public struct APISourceFigures: Sendable, Equatable {
    public var relists = 0
    public var watchRestarts = 0
    /// Events applied, by kind and type (`ADDED`, `MODIFIED`, `DELETED`), and objects taken
    /// from lists (`LISTED`).
    public var events: [String: [String: Int]] = [:]
    public var objectsRejected = 0
    /// Watch lines that were not events at all (not JSON, no type), skipped.
    public var unreadableEvents = 0
    public var syncs = 0
    /// From an EndpointSlice change (its last-change-trigger-time) to the apply that served
    /// it, for changes made since the daemon started (as kube-proxy counts them).
    public var networkProgramming = DurationHistogram.networkProgramming()

    public init() {}
}

extension MetricsWriter {
    mutating func apiSource(_ figures: APISourceFigures) {
        family("svcproxy_api_relists_total", "counter", "Lists made again after a watch's resource version expired (410 Gone).")
        sample("svcproxy_api_relists_total", [], UInt64(figures.relists))
        family("svcproxy_api_watch_restarts_total", "counter", "Watches started again from the last resource version seen.")
        sample("svcproxy_api_watch_restarts_total", [], UInt64(figures.watchRestarts))
        family("svcproxy_api_events_total", "counter", "Objects received from the API server, by kind and event type.")
        for (kind, types) in figures.events.sorted(by: { $0.key < $1.key }) {
            for (type, count) in types.sorted(by: { $0.key < $1.key }) {
                sample("svcproxy_api_events_total", [("kind", kind), ("type", type)], UInt64(count))
            }
        }
        family("svcproxy_api_objects_rejected_total", "counter", "Objects from the API server left out because svcproxy's checks refused them.")
        sample("svcproxy_api_objects_rejected_total", [], UInt64(figures.objectsRejected))
        family("svcproxy_api_events_unreadable_total", "counter", "Watch lines skipped because they were not events (not JSON, no type).")
        sample("svcproxy_api_events_unreadable_total", [], UInt64(figures.unreadableEvents))
        family("svcproxy_api_syncs_total", "counter", "Applies of the API server's changes (at most one per --min-sync-period).")
        sample("svcproxy_api_syncs_total", [], UInt64(figures.syncs))
        histogram("svcproxy_network_programming_duration_seconds",
                  help: "From an EndpointSlice change (endpoints.kubernetes.io/last-change-trigger-time) to its apply.",
                  figures.networkProgramming)
    }
}
