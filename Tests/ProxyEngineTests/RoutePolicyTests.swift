// Endpoint choice as a value: round-robin, limits, NetworkPolicy admission and session
// affinity decided without an event loop, and the bounded tables behind them.
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

private func ip(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

private func route(endpoints: [String], affinity: SessionAffinity = .none, ingress: [String: IngressAdmission] = [:],
                   maxConnections: Int? = nil, nodeLimit: Int? = nil, shared: ServicePortShared = ServicePortShared(),
                   budget: ConnectionBudget = ConnectionBudget()) throws -> ServicePortRoute {
    let name = ServicePortName(service: ObjectKey(namespace: "default", name: "web"), port: "http")
    var admissions: [Endpoint: IngressAdmission] = [:]
    for (address, admission) in ingress { admissions[Endpoint(ip: try ip(address), port: 80)] = admission }
    let plan = ServicePortPlan(name: name, protocol: .tcp, listenAddresses: [],
                               endpoints: try endpoints.map { Endpoint(ip: try ip($0), port: 80) }, sessionAffinity: affinity,
                               ingress: admissions, maxConnections: maxConnections)
    return ServicePortRoute(plan: plan, connections: ConnectionSettings(maxConnections: nodeLimit),
                            statistics: ServicePortStatistics(name: name, workers: 1), budget: budget, shared: shared)
}

@Suite struct RoutePolicyTests {
    @Test func roundRobinIsExactAndRetriesWalkOnWithoutDisturbingIt() throws {
        let web = try route(endpoints: ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        let starts = try (0..<6).map { _ in try web.decide(for: nil, now: 0).get().start }
        #expect(starts == [0, 1, 2, 0, 1, 2])
        #expect(web.endpoint(start: 2, attempt: 1).endpoint.ip == (try ip("10.0.0.1")))
    }

    @Test func noEndpointsRefuses() throws {
        #expect(try route(endpoints: []).decide(for: nil, now: 0) == .failure(.noEndpoints))
    }

    @Test func limitsRefuseBeyondTheirValueAndGiveBackWhatTheyHold() throws {
        let budget = ConnectionBudget()
        let web = try route(endpoints: ["10.0.0.1"], maxConnections: 2, nodeLimit: 3, budget: budget)
        let first = try web.decide(for: nil, now: 0).get()
        _ = try web.decide(for: nil, now: 0).get()
        #expect(web.decide(for: nil, now: 0) == .failure(.serviceLimit(2)))
        #expect(budget.open.load(ordering: .relaxed) == 2, "a refusal by the service limit holds no node place")
        web.releaseLimits(first.tokens)
        #expect((try? web.decide(for: nil, now: 0).get()) != nil)
        let other = try route(endpoints: ["10.0.0.2"], nodeLimit: 3, budget: budget)
        _ = try other.decide(for: nil, now: 0).get()
        #expect(other.decide(for: nil, now: 0) == .failure(.nodeLimit(3)), "the node budget is shared by every route")
    }

    @Test func networkPolicyNarrowsTheEndpointsOrRefusesNamingThePolicies() throws {
        let onlyLocal = IngressAdmission(policies: [ObjectKey(namespace: "default", name: "local-only")],
                                         peers: [.block(try #require(CIDR("127.0.0.0/8")), except: [])])
        let web = try route(endpoints: ["10.0.0.1", "10.0.0.2"], ingress: ["10.0.0.2": onlyLocal])
        for _ in 0..<4 {
            let choice = try web.decide(for: try ip("192.0.2.1"), now: 0).get()
            #expect(choice.candidates == [0], "the isolated endpoint is never tried for an outside client")
        }
        #expect(Set(try (0..<2).map { _ in try web.decide(for: try ip("127.0.0.9"), now: 0).get().start }) == [0, 1])
        let denyAll = IngressAdmission(policies: [ObjectKey(namespace: "default", name: "deny")], peers: [])
        let closed = try route(endpoints: ["10.0.0.1"], ingress: ["10.0.0.1": denyAll])
        #expect(closed.decide(for: try ip("127.0.0.1"), now: 0) == .failure(.policy("default/deny")))
    }

    @Test func affinityKeepsAClientOnItsEndpointAndFallsBackWhenItIsGone() throws {
        let shared = ServicePortShared()
        let web = try route(endpoints: ["10.0.0.1", "10.0.0.2", "10.0.0.3"], affinity: .clientIP(timeoutSeconds: 10), shared: shared)
        let client = try ip("127.0.0.2")
        let first = try web.decide(for: client, now: 0).get()
        for _ in 0..<5 { #expect(try web.decide(for: client, now: 1).get().start == first.start) }
        #expect(first.affinityClient == client)
        let survivors = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].enumerated().filter { $0.offset != first.start }.map(\.element)
        let reloaded = try route(endpoints: survivors, affinity: .clientIP(timeoutSeconds: 10), shared: shared)
        let moved = try reloaded.decide(for: client, now: 2).get()
        #expect(try reloaded.decide(for: client, now: 3).get().start == moved.start, "the client is pinned where it landed")
    }

    @Test func theAffinityTableEvictsTheLeastRecentlyUsedPinWhenFull() throws {
        let table = AffinityTable(capacity: 3)
        let endpoint = Endpoint(ip: try ip("10.0.0.1"), port: 80)
        let clients = try (1...4).map { try ip("127.0.0.\($0)") }
        for (time, client) in clients.prefix(3).enumerated() {
            #expect(!table.pin(client, to: endpoint, now: UInt64(time), timeout: 100))
        }
        _ = table.endpoint(for: clients[0], now: 5, timeout: 100)  // the first is now the newest
        #expect(table.pin(clients[3], to: endpoint, now: 6, timeout: 100), "full: a live pin is evicted")
        #expect(table.count == 3)
        #expect(table.endpoint(for: clients[1], now: 7, timeout: 100) == nil, "the least recently used went")
        #expect(table.endpoint(for: clients[0], now: 7, timeout: 100) == endpoint)
        #expect(!table.pin(try ip("127.0.0.9"), to: endpoint, now: 500, timeout: 100), "expired pins make room first")
        #expect(table.count == 1)
    }

    @Test func aPinRefreshedByAnotherWorkerWithALaterClockIsFreshNotExpired() throws {
        let table = AffinityTable(capacity: 4)
        let endpoint = Endpoint(ip: try ip("10.0.0.1"), port: 80)
        let client = try ip("127.0.0.2")
        table.pin(client, to: endpoint, now: 1_000, timeout: 100)
        // This worker read its clock (990) before the other worker's refresh (1,000).
        #expect(table.endpoint(for: client, now: 990, timeout: 100) == endpoint)
        #expect(!table.pin(try ip("127.0.0.3"), to: endpoint, now: 990, timeout: 100))
        #expect(table.count == 2, "the fresher pin was not swept as expired")
    }

    @Test func evictionsAreCountedInTheServicePortsStatistics() throws {
        let web = try route(endpoints: ["10.0.0.1"], affinity: .clientIP(timeoutSeconds: 100),
                            shared: ServicePortShared(affinityCapacity: 10))
        for index in 0..<25 { _ = try web.decide(for: try ip("127.0.1.\(index)"), now: 0).get() }
        #expect(web.statistics.snapshot().affinityEvictions == 15)
        #expect(web.shared.affinity.count == 10)
    }

    @Test func theLogLimiterKeepsOneWindowPerEventAndSubjectInBoundedMemory() {
        var limiter = LogLimiter(intervalNanoseconds: 1_000_000)
        let key = LogLimiter.Key(event: .policyDenied, subject: "default/web:http")
        #expect(limiter.admit(key, now: 0) == 0)
        #expect(limiter.admit(key, now: 5) == nil)
        #expect(limiter.admit(key, now: 6) == nil)
        #expect(limiter.admit(key, now: 1_000_012) == 2, "the next line says how many were held back")
        // Thrice the capacity of keys whose windows are all open: the table stays bounded,
        // keeps the newest, and a window that is still open keeps holding its key back.
        for index in 0..<(3 * LogLimiter.capacity) {
            _ = limiter.admit(LogLimiter.Key(event: .connectFailed, subject: "\(index)"), now: 1_000_013 + UInt64(index))
        }
        #expect(limiter.count <= LogLimiter.capacity && limiter.count >= LogLimiter.capacity / 2)
        let newest = LogLimiter.Key(event: .connectFailed, subject: "\(3 * LogLimiter.capacity - 1)")
        #expect(limiter.admit(newest, now: 1_000_013 + UInt64(3 * LogLimiter.capacity)) == nil)
    }
}
