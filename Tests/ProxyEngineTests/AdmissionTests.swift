// The pure parts of the engine's per-connection checks: addresses as 128-bit integers,
// compiled NetworkPolicy admission, affinity pins and the timer heap's clean-up.
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

private func bits(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

@Suite struct AdmissionTests {
    @Test func socketAddressesAndConfigAddressesGiveTheSameBits() throws {
        for text in ["127.0.0.2", "10.96.0.10", "::1", "2001:db8::5"] {
            let socket = try #require(SocketAddress(ip: text, port: 80))
            #expect(IPAddress(socket) == (try bits(text)), "\(text)")
        }
        #expect(try bits("192.0.2.1").description == "192.0.2.1")
    }

    @Test func blocksContainExactlyTheirAddressesInBothFamilies() throws {
        let v4 = IPBlock(try #require(CIDR("192.0.2.0/25")))
        #expect(v4.contains(try bits("192.0.2.127")))
        #expect(!v4.contains(try bits("192.0.2.128")))
        let v6 = IPBlock(try #require(CIDR("2001:db8::/33")))
        #expect(v6.contains(try bits("2001:db8:7fff::1")))
        #expect(!v6.contains(try bits("2001:db8:8000::1")))
        let everything = IPBlock(try #require(CIDR("0.0.0.0/0")))
        #expect(everything.contains(try bits("203.0.113.9")))
        #expect(!everything.contains(try bits("2001:db8::1")), "an IPv4 block never holds an IPv6 client")
    }

    @Test func compiledAdmissionAgreesWithThePlansOwnVerdict() throws {
        let admission = IngressAdmission(policies: [ObjectKey(namespace: "shop", name: "p")], peers: [
            .block(try #require(CIDR("10.0.0.0/8")), except: [try #require(CIDR("10.1.0.0/16"))]),
            .addresses([try #require(IPAddress("192.0.2.7"))]),
        ])
        let compiled = CompiledAdmission(admission)
        for text in ["10.0.0.1", "10.1.2.3", "10.255.0.1", "192.0.2.7", "192.0.2.8", "::1"] {
            let ip = try #require(IPAddress(text))
            #expect(compiled.admits(ip) == admission.admits(ip), "\(text)")
        }
        #expect(compiled.policies == "shop/p")
        #expect(!CompiledAdmission(IngressAdmission(policies: [], peers: [])).admits(try bits("10.0.0.1")))
        #expect(CompiledAdmission(IngressAdmission(policies: [], peers: [.anyone])).admits(try bits("::1")))
    }

    @Test func affinityPinsExpireAfterTheirTimeoutAndEachUseRefreshesThem() throws {
        let table = AffinityTable()
        let client = try bits("127.0.0.2")
        let endpoint = Endpoint(ip: try #require(IPAddress("10.0.0.1")), port: 80)
        table.pin(client, to: endpoint, now: 0, timeout: 10)
        #expect(table.endpoint(for: client, now: 9, timeout: 10) == endpoint)
        #expect(table.endpoint(for: client, now: 18, timeout: 10) == endpoint, "the lookup at 9 refreshed it")
        #expect(table.endpoint(for: client, now: 28, timeout: 10) == nil)
        table.pin(client, to: endpoint, now: 30, timeout: 10)
        table.unpin(client, from: endpoint)
        #expect(table.endpoint(for: client, now: 31, timeout: 10) == nil)
    }

    @Test func timerHeapKeepsItsOrderAfterStaleEntriesAreDropped() {
        var timers = TimerQueue()
        for deadline in [50, 10, 40, 20, 30, 60, 5].map(UInt64.init) {
            timers.schedule(.init(deadline: deadline, slot: UInt32(deadline), tag: 0, kind: deadline % 20 == 0 ? .tcpActivity : .tcpConnect))
        }
        timers.removeAll { $0.kind == .tcpActivity }
        #expect(timers.count == 4)
        var order: [UInt64] = []
        while let entry = timers.popDue(now: 100) { order.append(entry.deadline) }
        #expect(order == [5, 10, 30, 50])
    }
}
