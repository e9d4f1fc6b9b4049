// The Ingress proxy's parts that hold no socket: how much of a read belongs to a body, the
// router's per-request round-robin and its counters, the bounded pool, and the bounded set
// of `code` labels.
import HTTP1
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

private func take(_ progress: inout BodyProgress, _ text: String) -> Result<Int, HTTPParseError> {
    Array(text.utf8).withUnsafeBytes { progress.take($0) }
}

private func backend(_ name: String, endpoints: [String]) throws -> IngressBackend {
    IngressBackend(servicePort: ServicePortName(service: ObjectKey(namespace: "default", name: name), port: "http"),
                   written: "\(name):80",
                   endpoints: try endpoints.map { Endpoint(ip: try #require(IPAddress($0)), port: 8080) })
}

@Suite struct IngressProxyPartsTests {
    @Test func aContentLengthBodyTakesExactlyItsLengthAndLeavesTheNextRequest() {
        var body = BodyProgress(HTTPBodyFraming.contentLength(5))
        #expect(take(&body, "abc") == .success(3))
        #expect(!body.isDone)
        #expect(take(&body, "deGET / HTTP/1.1") == .success(2))
        #expect(body.isDone)
        #expect(take(&body, "more") == .success(0))
    }

    @Test func aChunkedBodyEndsAfterItsLastChunkAndRefusesBadFraming() {
        var body = BodyProgress(HTTPBodyFraming.chunked)
        #expect(take(&body, "3\r\nab") == .success(5))
        #expect(take(&body, "c\r\n0\r\n\r\nGET") == .success(8))
        #expect(body.isDone)
        var broken = BodyProgress(HTTPBodyFraming.chunked)
        guard case .failure = take(&broken, "zz\r\n") else {
            Issue.record("a chunk size that is not hexadecimal was taken")
            return
        }
    }

    @Test func aResponseEndedByClosingTakesEverything() {
        var body = BodyProgress(HTTPResponseFraming.untilClose)
        #expect(take(&body, "all of it") == .success(9))
        #expect(!body.isDone)
        #expect(BodyProgress(HTTPResponseFraming.contentLength(0)).isDone)
        #expect(BodyProgress(HTTPResponseFraming.none).isDone)
    }

    @Test func requestsAreBalancedPerRequestAndCountedPerPath() throws {
        let web = try backend("web", endpoints: ["10.0.0.1", "10.0.0.2"])
        let plan = IngressPlan(listenAddresses: [], virtualHosts: [
            IngressVirtualHost(host: .exact("foo.example"), paths: [
                IngressPath(path: "/", type: .prefix, backend: web, ingress: ObjectKey(namespace: "default", name: "site")),
            ]),
        ])
        let statistics = StatisticsRegistry(workers: 1)
        let router = IngressRouter(plan: plan, statistics: statistics, budget: ConnectionBudget(), nodeLimit: nil)

        let entry = try #require(router.decide(host: "FOO.example:8080", path: "/x"))
        #expect(router.decide(host: "bar.example", path: "/x") == nil)
        #expect((0..<4).map { _ in entry.backend.pick() } == [0, 1, 0, 1])
        entry.statistics.perWorker[0].record(status: 200, requestBytes: 10, responseBytes: 20, nanoseconds: 3_000_000)
        entry.statistics.perWorker[0].record(status: 299, requestBytes: 1, responseBytes: 2, nanoseconds: 20_000_000_000)

        let snapshot = try #require(statistics.ingressSnapshot().routes.first { $0.key.ingress == "site" })
        #expect(snapshot.key == IngressRouteKey(namespace: "default", ingress: "site", host: "foo.example", path: "/", service: "web"))
        #expect(snapshot.responses.map(\.code) == ["200", "2xx"])
        #expect(snapshot.requests == 2)
        #expect(snapshot.durationBuckets.first == 1 && snapshot.durationBuckets.last == 1)  // 3 ms, and past the last bound
        #expect(router.statisticsKeys.contains(.unmatched))
    }

    @Test func aBackendWithoutEndpointsPicksNone() throws {
        #expect(IngressBackendRoute(try backend("empty", endpoints: [])).pick() == nil)
    }

    @Test func everyStatusHasALabelFromABoundedSet() {
        let labels = Set((0..<1200).map { ResponseCodeLabel.label(ofSlot: ResponseCodeLabel.slot(of: $0)) })
        #expect(labels.count == ResponseCodeLabel.count)
        #expect(ResponseCodeLabel.label(ofSlot: ResponseCodeLabel.slot(of: 404)) == "404")
        #expect(ResponseCodeLabel.label(ofSlot: ResponseCodeLabel.slot(of: 599)) == "5xx")
        #expect(ResponseCodeLabel.label(ofSlot: ResponseCodeLabel.slot(of: 999)) == "other")
    }

    @Test func thePoolKeepsAtMostItsShareNewestFirstAndForgetsEmptyEndpoints() throws {
        var pool = UpstreamPool()
        let target = HTTPEndpointTarget(endpoint: Endpoint(ip: try #require(IPAddress("127.0.0.1")), port: 9),
                                        address: try #require(SocketAddress(ip: "127.0.0.1", port: 9)))
        var kept: [Upstream] = []
        for slot in 0..<(UpstreamPool.perEndpoint + 1) {
            let socket = try FileDescriptor.tcpSocket(for: target.address)
            let upstream = Upstream(slot: UInt32(slot), tag: 1, socket: socket, target: target)
            if pool.put(upstream) { kept.append(upstream) }
        }
        #expect(kept.count == UpstreamPool.perEndpoint)
        #expect(pool.take(target.endpoint) === kept.last)
        #expect(pool.removeAll { _ in true }.count == UpstreamPool.perEndpoint - 1)
        #expect(pool.count == 0 && pool.endpointCount == 0)
        #expect(pool.take(target.endpoint) == nil)
        // Taking the last one keeps the endpoint's list for the connection's return; a sweep drops it.
        let putBack = pool.put(kept[0])
        #expect(putBack)
        #expect(pool.take(target.endpoint) === kept[0])
        #expect(pool.count == 0 && pool.endpointCount == 1)
        #expect(pool.take(target.endpoint) == nil)
        #expect(pool.removeAll { _ in true }.isEmpty)
        #expect(pool.endpointCount == 0)
    }
}
