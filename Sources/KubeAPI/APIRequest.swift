// One GET to the API server: a new connection, the request head with the bearer token
// (read again from its file each time, as it rotates), the response head parsed strictly by
// the HTTP1 module, then the body handed over as it arrives, decoded from chunks when it is
// chunked. An answer other than 2xx becomes an APIClientError with its status and the
// Status object's message, so that 410 can ask for a new list.
import Foundation
import HTTP1
import ServiceConfig
import TLS

struct APIRequest {
    /// An error answer's body is read up to this, for its message.
    static let errorBodyLimit = 64 << 10
    static let readSize = 64 << 10

    let connection: APIServerConnection
    let timeoutMilliseconds: Int32
    let userAgent: String
    /// Ends the request's waits at once when its watcher is stopped.
    var stop: APIWatchStop?

    /// GETs `path`, handing each piece of the body to `body` until it ends; a body that
    /// `body` refuses (by throwing) ends the request there.
    func get(_ path: String, body: (UnsafeRawBufferPointer) throws(APIClientError) -> Void) throws(APIClientError) {
        let stream = try open()
        try stream.write(Array(try head(path).utf8))
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        var parser = HTTPResponseHeadParser()
        var response: HTTPResponseHead?
        var leftover = ArraySlice<UInt8>()
        while response == nil {
            let count = try Self.read(stream, into: &buffer)
            guard count > 0 else { throw APIClientError("\(connection.server) closed the connection before answering") }
            switch buffer.withUnsafeBytes({ parser.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }) {
            case .needMore: continue
            case .invalid(let error): throw APIClientError("\(connection.server) answered with an invalid HTTP head: \(error)")
            case .complete(let head, let consumed):
                if head.status < 200 { continue }  // 1xx: the real head follows
                response = head
                leftover = buffer[consumed..<count]
            }
        }
        guard let response else { return }
        guard case .success(let framing) = response.framing(requestMethod: "GET") else {
            throw APIClientError("\(connection.server) answered with ambiguous body framing")
        }
        guard (200..<300).contains(response.status) else {
            var text: [UInt8] = []
            try? readBody(stream, framing: framing, leftover: leftover, buffer: &buffer) { (piece: UnsafeRawBufferPointer) throws(APIClientError) in
                if text.count < Self.errorBodyLimit { text += piece.prefix(Self.errorBodyLimit - text.count) }
            }
            throw APIClientError(status: response.status, "\(connection.server) answered \(response.status) to GET \(path): \(Self.message(text))")
        }
        try readBody(stream, framing: framing, leftover: leftover, buffer: &buffer, body)
    }

    /// A new connection; for https, the CA and client certificate are read again each time
    /// (rotated files are picked up, as the token is).
    private func open() throws(APIClientError) -> APIByteStream {
        guard connection.server.secure else {
            return try PlainStream(server: connection.server, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
        }
        let authorities = try connection.certificateAuthority.map { source throws(APIClientError) in try Self.bytes(of: source, "certificate authority") }
        var clientCertificate: (chain: [UInt8], key: [UInt8])?
        if let certificate = connection.clientCertificate, let key = connection.clientKey {
            clientCertificate = (try Self.bytes(of: certificate, "client certificate"), try Self.bytes(of: key, "client key"))
        }
        let context: TLSClientContext
        do throws(TLSError) {
            context = try TLSClientContext(serverName: connection.verifiedName, certificateAuthorities: authorities,
                                           clientCertificate: clientCertificate, insecureSkipVerify: connection.insecureSkipTLSVerify)
        } catch {
            throw APIClientError("TLS settings for \(connection.server) (\(connection.origin)): \(error)")
        }
        return try TLSStream(server: connection.server, context: context, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
    }

    private static func bytes(of source: PEMSource, _ what: String) throws(APIClientError) -> [UInt8] {
        switch source {
        case .data(let bytes): return bytes
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { throw APIClientError("Failed to read the \(what) file \(path)") }
            return Array(data)
        }
    }

    private func head(_ path: String) throws(APIClientError) -> String {
        var text = "GET \(connection.server.basePath)\(path) HTTP/1.1\r\nHost: \(connection.server.authority)\r\n"
        text += "Accept: application/json\r\nUser-Agent: \(userAgent)\r\nConnection: close\r\n"
        if let token = try bearerToken() { text += "Authorization: Bearer \(token)\r\n" }
        return text + "\r\n"
    }

    private func bearerToken() throws(APIClientError) -> String? {
        switch connection.bearerToken {
        case nil: return nil
        case .literal(let token): return token
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw APIClientError("Failed to read the token file \(path)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw APIClientError("The token file \(path) holds no token")
            }
            return token
        }
    }

    private func readBody(_ stream: APIByteStream, framing: HTTPResponseFraming, leftover: ArraySlice<UInt8>, buffer: inout [UInt8],
                          _ body: (UnsafeRawBufferPointer) throws(APIClientError) -> Void) throws(APIClientError) {
        var remaining: UInt64 = switch framing {
        case .none: 0
        case .contentLength(let length): length
        case .chunked, .untilClose: .max
        }
        var chunks = HTTPChunkedBodyScanner()
        var pending = Array(leftover)
        while remaining > 0 {
            if pending.isEmpty {
                let count = try Self.read(stream, into: &buffer)
                guard count > 0 else {
                    if case .untilClose = framing { return }
                    throw APIClientError("\(connection.server) ended the response early")
                }
                pending = Array(buffer[..<count])
            }
            var failure: APIClientError?
            let ended: Bool = pending.withUnsafeBytes { bytes in
                do throws(APIClientError) {
                    if case .chunked = framing {
                        var refused: APIClientError?
                        let scan = chunks.decode(bytes) { piece in
                            guard refused == nil else { return }
                            do throws(APIClientError) { try body(piece) } catch { refused = error }
                        }
                        if let refused { throw refused }
                        switch scan {
                        case .needMore: return false
                        case .complete: return true
                        case .invalid(let error): throw APIClientError("\(connection.server) sent an invalid chunked body: \(error)")
                        }
                    }
                    let taken = Int(min(UInt64(bytes.count), remaining))
                    try body(UnsafeRawBufferPointer(rebasing: bytes[..<taken]))
                    remaining -= UInt64(taken)
                    return remaining == 0
                } catch {
                    failure = error
                    return true
                }
            }
            pending = []
            if let failure { throw failure }
            if ended { return }
        }
    }

    /// One read into `buffer` (typed throws do not pass through withUnsafeMutableBytes).
    private static func read(_ stream: APIByteStream, into buffer: inout [UInt8]) throws(APIClientError) -> Int {
        let result = buffer.withUnsafeMutableBytes { bytes -> Result<Int, APIClientError> in
            do throws(APIClientError) { return .success(try stream.read(into: bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The `message` of a Status object, else the start of the text.
    static func message(_ body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let message = object["message"] as? String {
            return message
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}
