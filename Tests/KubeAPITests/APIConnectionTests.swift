// The API client's TCP connection as the kernel holds it: keepalive and TCP_USER_TIMEOUT
// read back with getsockopt, so that a silent API server is noticed in 30 s (not after a
// watch's timeout), and a server named by host name reached through the resolver.
import Testing
@testable import KubeAPI
import LinuxIO
import ServiceConfig
import Glibc

@Suite struct APIConnectionTests {
    /// A listener on 127.0.0.1.
    private func loopbackListener() throws -> FileDescriptor {
        try FileDescriptor.listener(on: try #require(SocketAddress(ip: "127.0.0.1", port: 0)), reusePort: false)
    }

    /// The URL that names `listener` with `host`.
    private func url(_ host: String, of listener: borrowing FileDescriptor) throws -> APIServerURL {
        let port = try #require(try listener.localAddress()?.port)
        return try #require(APIServerURL("http://\(host):\(port)"))
    }

    @Test func theAPISocketNoticesASilentServerWithin30Seconds() throws {
        let listener = try loopbackListener()
        let stream = try PlainStream(server: try url("127.0.0.1", of: listener), timeoutMilliseconds: 2_000, stop: nil)
        let tcp = Int32(IPPROTO_TCP)
        #expect(try stream.socket.integerOption(level: SOL_SOCKET, name: SO_KEEPALIVE) == 1)
        #expect(try stream.socket.integerOption(level: tcp, name: TCP_KEEPIDLE) == 10)
        #expect(try stream.socket.integerOption(level: tcp, name: TCP_KEEPINTVL) == 5)
        #expect(try stream.socket.integerOption(level: tcp, name: TCP_KEEPCNT) == 4)
        #expect(try stream.socket.integerOption(level: tcp, name: TCP_USER_TIMEOUT) == 30_000)
        #expect(APISocketLiveness.keepAlive.boundSeconds == 30, "keepalive and the user timeout say the same")
        _ = consume listener
    }

    @Test func aServerNamedByHostNameIsResolvedAndConnected() throws {
        let listener = try loopbackListener()
        let stream = try PlainStream(server: try url("localhost", of: listener), timeoutMilliseconds: 2_000, stop: nil)
        let peer = try #require(try stream.socket.localAddress())
        #expect(peer.ip == "127.0.0.1")
        _ = consume listener
    }
}
