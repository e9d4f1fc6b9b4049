// getaddrinfo through SocketAddress.resolve: an address literal is not looked up, a name
// from /etc/hosts gives its addresses. (No name that would need DNS: tests talk to loopback
// only.)
import Testing
@testable import LinuxIO

@Suite struct NameResolutionTests {
    @Test func anAddressIsTakenAsItIs() throws {
        let addresses = try SocketAddress.resolve(host: "fd00::1", port: 6443)
        #expect(addresses.map(\.description) == ["[fd00::1]:6443"])
    }

    @Test func localhostResolvesToLoopbackWithThePort() throws {
        let addresses = try SocketAddress.resolve(host: "localhost", port: 6443)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { ($0.ip == "127.0.0.1" || $0.ip == "::1") && $0.port == 6443 })
        #expect(Set(addresses).count == addresses.count, "no address twice")
    }
}
