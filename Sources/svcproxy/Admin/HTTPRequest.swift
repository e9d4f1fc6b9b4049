// The smallest HTTP/1.x request reader that the metrics and health endpoints need, and no
// more: a request line and headers of bounded size, GET (or HEAD) only, no body, no
// keep-alive. Anything else gets an error status and the connection is closed.

struct HTTPRequest {
    /// Requests larger than this are refused (431): scrapers send a few hundred bytes.
    static let maximumSize = 8 * 1024

    enum Parsed: Equatable {
        /// The headers have not all arrived yet.
        case incomplete
        case request(method: String, path: String)
        case invalid(status: Int, reason: String)
    }

    /// Reads what has arrived so far.
    static func parse(_ bytes: [UInt8]) -> Parsed {
        guard let end = headerEnd(bytes) else {
            return bytes.count >= maximumSize ? .invalid(status: 431, reason: "Request Header Fields Too Large") : .incomplete
        }
        guard end <= maximumSize else { return .invalid(status: 431, reason: "Request Header Fields Too Large") }
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\r")) ?? end
        let parts = bytes[..<lineEnd].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)) else {
            return .invalid(status: 400, reason: "Bad Request")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        guard method == "GET" || method == "HEAD" else { return .invalid(status: 405, reason: "Method Not Allowed") }
        let path = String(target.prefix { $0 != "?" })
        return .request(method: method, path: path)
    }

    /// The index just past "\r\n\r\n", if present.
    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}

/// A complete response, written and then the connection closed.
struct HTTPResponse {
    let status: Int
    let reason: String
    let contentType: String
    let body: String

    func bytes(includeBody: Bool = true) -> [UInt8] {
        let payload = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(payload.count)\r\n"
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? payload : [])
    }

    static func error(_ status: Int, _ reason: String) -> HTTPResponse {
        HTTPResponse(status: status, reason: reason, contentType: "text/plain; charset=utf-8", body: "\(reason)\n")
    }
}
