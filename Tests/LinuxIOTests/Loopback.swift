// What the LinuxIO tests share: a TCP connection over 127.0.0.1 with both of its ends,
// and a wait for one descriptor's readiness that always has a deadline.
import Testing
@testable import LinuxIO

/// A connected pair on loopback: the client's socket and the one the listener accepted.
struct LoopbackConnection: ~Copyable {
    let listener: FileDescriptor
    let client: FileDescriptor
    let accepted: FileDescriptor

    init() throws {
        let listener = try loopbackListener()
        let client = try connectingClient(to: listener)
        _ = try readiness(of: listener, for: .readable)
        guard case .done(let connection) = try listener.accept() else { throw Errno.wouldBlock }
        self.listener = listener
        self.client = client
        self.accepted = connection.takeSocket()
    }

    /// Closes every socket but the client's, which it returns.
    consuming func keepingClientOnly() -> FileDescriptor { client }

    /// Closes every socket but the accepted one, which it returns.
    consuming func keepingAcceptedOnly() -> FileDescriptor { accepted }
}

/// A listener on 127.0.0.1 at a port the kernel chose.
func loopbackListener() throws -> FileDescriptor {
    try FileDescriptor.listener(on: try #require(SocketAddress(ip: "127.0.0.1", port: 0)))
}

/// A client socket whose non-blocking connect to `listener` has started.
func connectingClient(to listener: borrowing FileDescriptor) throws -> FileDescriptor {
    let address = try #require(try listener.localAddress())
    let client = try FileDescriptor.tcpSocket(for: address)
    _ = try client.connect(to: address)
    return client
}

/// The events `fd` reports within `milliseconds` when watched for `wanted`; empty if none.
func readiness(of fd: borrowing FileDescriptor, for wanted: EpollEvents, milliseconds: Int32 = 2000) throws -> EpollEvents {
    let epoll = try Epoll(capacity: 1)
    try epoll.add(fd.rawValue, wanted: wanted, token: 1)
    return try epoll.wait(timeoutMilliseconds: milliseconds) == 1 ? epoll.event(at: 0).events : []
}

/// Writes all of `bytes` to a socket that has room for them.
func send(_ bytes: [UInt8], on fd: borrowing FileDescriptor) throws {
    let written = try bytes.withUnsafeBytes { buffer in try fd.write(from: buffer.baseAddress!, count: buffer.count) }
    #expect(written == .done(bytes.count))
}

/// What one read of up to 64 KiB returns: bytes, or nil for end of stream.
func receive(on fd: borrowing FileDescriptor) throws -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let result = try buffer.withUnsafeMutableBytes { raw in try fd.read(into: raw.baseAddress!, count: raw.count) }
    guard case .done(let count) = result else { throw Errno.wouldBlock }
    return count == 0 ? nil : Array(buffer.prefix(count))
}
