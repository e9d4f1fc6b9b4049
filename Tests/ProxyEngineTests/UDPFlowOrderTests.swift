// The order UDP flows are evicted and timed out in: longest idle first, an active flow
// moving to the recent end, and removal from anywhere keeping the rest in order.
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

@Suite struct UDPFlowOrderTests {
    private final class Fixture {
        let listener: WorkerListener
        let route: ServicePortRoute

        init() throws {
            let name = ServicePortName(service: ObjectKey(namespace: "default", name: "dns"), port: "dns")
            let plan = ServicePortPlan(name: name, protocol: .udp, listenAddresses: [],
                                       endpoints: [Endpoint(ip: try #require(IPAddress("127.0.0.1")), port: 53)])
            route = ServicePortRoute(plan: plan, connections: ConnectionSettings(), statistics: ServicePortStatistics(name: name, workers: 1),
                                     budget: ConnectionBudget(), shared: ServicePortShared())
            let address = try #require(SocketAddress(ip: "127.0.0.1", port: 0))
            listener = WorkerListener(id: 1, descriptor: try FileDescriptor.udpListener(on: address),
                                      address: ListenAddress(ip: try #require(IPAddress("127.0.0.1")), port: 0, kind: .clusterIP, transport: .udp),
                                      route: .udp(route))
        }

        func flow(_ port: UInt16) throws -> UDPFlow {
            let client = try #require(SocketAddress(ip: "127.0.0.2", port: port))
            return UDPFlow(slot: UInt32(port), tag: 1, key: FlowKey(listener: 1, client: client.key),
                           socket: try FileDescriptor.udpSocket(for: client), listener: listener, client: client, route: route,
                           choice: EndpointChoice(start: 0, candidates: nil, affinityClient: nil, tokens: []),
                           target: route.endpoints[0], timeout: 1, now: 0)
        }
    }

    @Test func theLongestIdleComesFirstAndActivityMovesAFlowToTheEnd() throws {
        let fixture = try Fixture()
        let (a, b, c) = (try fixture.flow(1), try fixture.flow(2), try fixture.flow(3))
        var order = FlowIdleOrder()
        order.touch(a)
        order.touch(b)
        order.touch(c)
        #expect(order.oldest === a)
        order.touch(a)
        #expect(order.oldest === b)
        order.remove(b)
        #expect(order.oldest === c)
        order.remove(c)
        #expect(order.oldest === a)
        order.remove(a)
        #expect(order.oldest == nil)
    }

    @Test func flowsOfOneClientPortAreOneKeyAndAnotherPortIsAnother() throws {
        let first = try #require(SocketAddress(ip: "127.0.0.2", port: 5000)).key
        let again = try #require(SocketAddress(ip: "127.0.0.2", port: 5000)).key
        let other = try #require(SocketAddress(ip: "127.0.0.2", port: 5001)).key
        let v6 = try #require(SocketAddress(ip: "::ffff:127.0.0.2", port: 5000)).key
        #expect(first == again)
        #expect(first != other)
        #expect(first != v6)
    }
}
