// TLS to the API server over a PlainStream: the handshake, reads and writes driven to
// completion with the plain stream's deadlines, as OpenSSL asks to wait for the socket.
import LinuxIO
import ServiceConfig
import TLS

final class TLSStream: APIByteStream {
    private let plain: PlainStream
    private let tls: TLSConnection

    init(server: APIServerURL, context: TLSClientContext, timeoutMilliseconds: Int32, stop: APIWatchStop?) throws(APIClientError) {
        plain = try PlainStream(server: server, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
        do throws(TLSError) {
            tls = try context.connection(socket: plain.socket.rawValue)
        } catch {
            throw APIClientError("TLS with \(server.authority) failed: \(error)")
        }
        // The name the certificate was checked for: the host, or the kubeconfig's tls-server-name.
        try drive(failure: "TLS with \(server.authority) (verifying the name \(context.serverName)) failed") { tls.handshake() }
    }

    deinit { _ = tls.shutdown() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(APIClientError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try drive { tls.read(into: base, count: buffer.count) }
    }

    func write(_ bytes: [UInt8]) throws(APIClientError) {
        var written = 0
        while written < bytes.count {
            let offset = written
            written += try drive {
                bytes.withUnsafeBytes { buffer in
                    guard let base = buffer.baseAddress else { return .done(buffer.count) }
                    return tls.write(from: base + offset, count: buffer.count - offset)
                }
            }
        }
    }

    /// Repeats `step` until it completes, waiting for the socket as it asks.
    private func drive<Value>(failure: String? = nil, _ step: () -> TLSStep<Value>) throws(APIClientError) -> Value {
        while true {
            switch step() {
            case .done(let value): return value
            case .wantRead: try plain.wait(writable: false)
            case .wantWrite: try plain.wait(writable: true)
            case .failed(let error): throw APIClientError("\(failure ?? "TLS with \(plain.peer) failed"): \(error)")
            }
        }
    }
}
