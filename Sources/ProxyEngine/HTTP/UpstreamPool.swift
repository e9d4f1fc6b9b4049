// A worker's idle keep-alive connections to endpoints, by endpoint: reused between complete
// exchanges only, newest first (the least likely to have been closed by the endpoint), at
// most `perEndpoint` each, and closed after `idleTimeout`. Pooled connections stay in the
// epoll set, so one the endpoint closes is noticed and dropped at once.
import ServiceConfig

struct UpstreamPool {
    /// Idle connections kept per endpoint and worker; more are closed. Enough for the
    /// clients one worker serves at once (100 keep-alive clients need up to 100 idle
    /// between their requests: `make bench` saw a quarter of requests open a connection
    /// with 32), and still a bound: descriptors are shared with the clients.
    static let perEndpoint = 256
    /// How long a connection may wait in the pool: below the keep-alive timeouts of common
    /// servers (nginx 75 s, Apache 5 s excepted), as nginx's upstream keepalive_timeout.
    static let idleTimeout: UInt64 = 30_000_000_000

    private var byEndpoint: [Endpoint: [Upstream]] = [:]
    private(set) var count = 0

    /// Endpoints with a list in the pool, empty ones included.
    var endpointCount: Int { byEndpoint.count }

    /// The newest idle connection to `endpoint`, taken out of the pool. One hash of the
    /// endpoint per call, here and in `put`: an endpoint's list stays when it empties (its
    /// connection usually comes back before the next request, and a list dropped and made
    /// again cost two more lookups and an allocation per request); `removeAll` drops the
    /// empty ones when the routes change.
    mutating func take(_ endpoint: Endpoint) -> Upstream? {
        guard let index = byEndpoint.index(forKey: endpoint), let upstream = byEndpoint.values[index].popLast() else { return nil }
        count -= 1
        return upstream
    }

    /// Keeps `upstream`; false when the endpoint's share is full.
    mutating func put(_ upstream: Upstream) -> Bool {
        guard Self.keep(upstream, in: &byEndpoint[upstream.target.endpoint, default: []]) else { return false }
        count += 1
        return true
    }

    private static func keep(_ upstream: Upstream, in list: inout [Upstream]) -> Bool {
        guard list.count < perEndpoint else { return false }
        list.append(upstream)
        return true
    }

    mutating func remove(_ upstream: Upstream) {
        let endpoint = upstream.target.endpoint
        guard let index = byEndpoint[endpoint]?.firstIndex(where: { $0 === upstream }) else { return }
        byEndpoint[endpoint]?.remove(at: index)
        if byEndpoint[endpoint]?.isEmpty == true { byEndpoint[endpoint] = nil }
        count -= 1
    }

    /// Takes out and returns every pooled connection `condition` picks, and forgets the
    /// endpoints left without one.
    mutating func removeAll(where condition: (Upstream) -> Bool) -> [Upstream] {
        let picked = byEndpoint.values.joined().filter(condition)
        for upstream in picked { remove(upstream) }
        byEndpoint = byEndpoint.filter { !$0.value.isEmpty }
        return picked
    }
}
