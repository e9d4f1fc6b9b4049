// A TCP connection to the API server with a deadline on every step: the socket is
// non-blocking (as every socket of ours) and each connect, read and write waits with poll,
// so a server that goes silent fails the request after `timeoutMilliseconds` rather than
// holding the thread; every wait ends at once when the watcher is stopped (APIWatchStop);
// keepalive (APISocketLiveness) notices a vanished server sooner than a watch's long read
// timeout would. A host name is resolved for each connection, so a server whose address
// moved is followed.
import Glibc
import LinuxIO
import ServiceConfig

/// Bytes to and from the API server: a plain connection, or TLS over one.
protocol APIByteStream: AnyObject {
    /// Reads what is there (waiting up to the timeout); 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(APIClientError) -> Int
    func write(_ bytes: [UInt8]) throws(APIClientError)
}

final class PlainStream: APIByteStream {
    let socket: FileDescriptor
    let timeoutMilliseconds: Int32
    let peer: String
    let stop: APIWatchStop?

    /// Addresses of a name tried at most: each may take the whole connect timeout.
    static let addressesTried = 4

    /// Connects to `server`: its address, or the addresses its name resolves to, tried in
    /// the resolver's order until one answers.
    init(server: APIServerURL, timeoutMilliseconds: Int32, stop: APIWatchStop?) throws(APIClientError) {
        peer = server.authority
        self.timeoutMilliseconds = timeoutMilliseconds
        self.stop = stop
        guard let port = UInt16(exactly: server.port) else { throw APIClientError("\(server.port) is not a port") }
        let addresses: [SocketAddress]
        do throws(NameResolutionError) {
            addresses = try SocketAddress.resolve(host: server.host, port: port)
        } catch {
            throw APIClientError("\(error) (the API server \(server))")
        }
        socket = try Self.connect(toFirstOf: addresses.prefix(Self.addressesTried), server: server,
                                  timeoutMilliseconds: timeoutMilliseconds, stop: stop)
    }

    private static func connect(toFirstOf addresses: ArraySlice<SocketAddress>, server: APIServerURL,
                                timeoutMilliseconds: Int32, stop: APIWatchStop?) throws(APIClientError) -> FileDescriptor {
        var failures: [String] = []
        for address in addresses {
            do throws(Errno) {
                return try connect(to: address, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
            } catch {
                failures.append(addresses.count == 1 ? "\(error)" : "\(address): \(error)")
                if error.rawValue == ECANCELED { break }    // stopped: no other address either
            }
        }
        throw APIClientError("Failed to connect to \(server.authority): " + failures.joined(separator: "; "))
    }

    private static func connect(to address: SocketAddress, timeoutMilliseconds: Int32, stop: APIWatchStop?) throws(Errno) -> FileDescriptor {
        let socket = try FileDescriptor.tcpSocket(for: address)
        try APISocketLiveness.apply(to: socket)
        if case .wouldBlock = try socket.connect(to: address) {
            guard try wait(socket, writable: true, timeoutMilliseconds: timeoutMilliseconds, stop: stop) else { throw Errno.timedOut }
            if let error = try socket.pendingError() { throw error }
        }
        return socket
    }

    /// Waits for `socket` up to the timeout (false then); a stop request fails it with ECANCELED.
    private static func wait(_ socket: borrowing FileDescriptor, writable: Bool, timeoutMilliseconds: Int32,
                             stop: APIWatchStop?) throws(Errno) -> Bool {
        guard let stop else { return try socket.waitUntil(writable: writable, timeoutMilliseconds: timeoutMilliseconds) }
        guard let ready = try socket.waitUntil(writable: writable, timeoutMilliseconds: timeoutMilliseconds, unlessSignalled: stop.signal) else {
            throw Errno(rawValue: ECANCELED)
        }
        return ready
    }

    /// Waits until the socket is readable (or writable); a timeout is an error.
    func wait(writable: Bool) throws(APIClientError) {
        let ready: Bool
        do throws(Errno) {
            ready = try Self.wait(socket, writable: writable, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
        } catch {
            throw APIClientError("Failed to wait for \(peer): \(error)")
        }
        guard ready else { throw APIClientError("\(peer) did not answer for \(timeoutMilliseconds) ms") }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(APIClientError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        do throws(Errno) {
            while true {
                if case .done(let count) = try socket.read(into: base, count: buffer.count) { return count }
                guard try Self.wait(socket, writable: false, timeoutMilliseconds: timeoutMilliseconds, stop: stop) else { throw Errno.timedOut }
            }
        } catch {
            throw APIClientError("Failed to read from \(peer): \(error)")
        }
    }

    func write(_ bytes: [UInt8]) throws(APIClientError) {
        var written = 0
        do throws(Errno) {
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer -> Result<IOResult<Int>, Errno> in
                    guard let base = buffer.baseAddress else { return .success(.done(buffer.count)) }
                    do throws(Errno) {
                        return .success(try socket.write(from: base + written, count: buffer.count - written))
                    } catch {
                        return .failure(error)
                    }
                }
                if case .done(let count) = try result.get() {
                    written += count
                } else if try !Self.wait(socket, writable: true, timeoutMilliseconds: timeoutMilliseconds, stop: stop) {
                    throw Errno.timedOut
                }
            }
        } catch {
            throw APIClientError("Failed to write to \(peer): \(error)")
        }
    }
}
