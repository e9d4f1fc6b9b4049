// The response head parser and response framing (RFC 9112 §4 and §6.3): what an endpoint
// may send, what the proxy refuses to forward, and where each body ends.
import HTTP1
import Testing

private func parse(_ text: String) -> HTTPResponseHeadParseResult {
    var parser = HTTPResponseHeadParser()
    return Array(text.utf8).withUnsafeBytes { parser.feed($0) }
}

private func head(_ text: String) -> HTTPResponseHead? {
    guard case .complete(let head, _) = parse(text) else { return nil }
    return head
}

struct StatusLineRow: CustomTestStringConvertible, Sendable {
    let line: String
    /// nil: refused with `error`.
    let status: Int?
    let reason: String
    let error: HTTPParseError?
    var testDescription: String { line }
}

private let statusLines: [StatusLineRow] = [
    StatusLineRow(line: "HTTP/1.1 200 OK", status: 200, reason: "OK", error: nil),
    StatusLineRow(line: "HTTP/1.0 404 Not Found", status: 404, reason: "Not Found", error: nil),
    StatusLineRow(line: "HTTP/1.1 204 ", status: 204, reason: "", error: nil),
    StatusLineRow(line: "HTTP/1.1 200", status: 200, reason: "", error: nil),
    StatusLineRow(line: "HTTP/1.1 599 caf\u{e9}\tx", status: 599, reason: "caf\u{e9}\tx", error: nil),
    StatusLineRow(line: "HTTP/1.1 20 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1 2000 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1 099 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1  200 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1 2x0 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1 200 O\u{1}K", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTP/1.1", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "http/1.1 200 OK", status: nil, reason: "", error: .malformedVersion),
    StatusLineRow(line: "HTTP/2.0 200 OK", status: nil, reason: "", error: .unsupportedVersion),
    StatusLineRow(line: "ICY 200 OK", status: nil, reason: "", error: .invalidStatusLine),
    StatusLineRow(line: "HTTX/1.1 200 OK", status: nil, reason: "", error: .malformedVersion),
]

struct FramingRow: CustomTestStringConvertible, Sendable {
    let name: String
    let head: String
    let method: String
    let framing: Result<HTTPResponseFraming, HTTPParseError>
    var testDescription: String { name }
}

private let framings: [FramingRow] = [
    FramingRow(name: "Content-Length", head: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", method: "GET", framing: .success(.contentLength(12))),
    FramingRow(name: "a response to HEAD has no body", head: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", method: "HEAD",
               framing: .success(.none)),
    FramingRow(name: "1xx", head: "HTTP/1.1 100 Continue\r\n\r\n", method: "POST", framing: .success(.none)),
    FramingRow(name: "204", head: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", method: "GET", framing: .success(.none)),
    FramingRow(name: "304", head: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", method: "GET", framing: .success(.none)),
    FramingRow(name: "chunked", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: "GET", framing: .success(.chunked)),
    FramingRow(name: "chunked after gzip", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n",
               method: "GET", framing: .success(.chunked)),
    FramingRow(name: "gzip alone reads to the close", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", method: "GET",
               framing: .success(.untilClose)),
    FramingRow(name: "chunked not final reads to the close", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
               method: "GET", framing: .success(.untilClose)),
    FramingRow(name: "nothing reads to the close", head: "HTTP/1.1 200 OK\r\n\r\n", method: "GET", framing: .success(.untilClose)),
    FramingRow(name: "chunked twice", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", method: "GET",
               framing: .failure(.chunkedTwice)),
    FramingRow(name: "both framings", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", method: "GET",
               framing: .failure(.contentLengthWithTransferEncoding)),
    FramingRow(name: "Transfer-Encoding in HTTP/1.0", head: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: "GET",
               framing: .failure(.transferEncodingInHTTP10)),
    FramingRow(name: "differing lengths", head: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", method: "GET",
               framing: .failure(.conflictingContentLength)),
    FramingRow(name: "repeated length", head: "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", method: "GET",
               framing: .success(.contentLength(3))),
    FramingRow(name: "signed length", head: "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n", method: "GET",
               framing: .failure(.invalidContentLength)),
]

@Suite struct ResponseHeadTests {
    @Test(arguments: statusLines)
    func statusLinesAreReadOrRefused(_ row: StatusLineRow) {
        let result = parse("\(row.line)\r\nServer: t\r\n\r\n")
        if let error = row.error {
            #expect(result == .invalid(error))
        } else {
            let parsed = head("\(row.line)\r\nServer: t\r\n\r\n")
            #expect(parsed?.status == row.status)
            #expect(parsed?.reason == row.reason)
        }
    }

    @Test(arguments: framings)
    func framingFollowsRFC9112(_ row: FramingRow) {
        guard let head = head(row.head) else {
            Issue.record("refused: \(parse(row.head))")
            return
        }
        #expect(head.framing(requestMethod: row.method) == row.framing)
    }

    @Test func fieldLinesFollowTheRequestSidesRules() {
        #expect(parse("HTTP/1.1 200 OK\r\nX : a\r\n\r\n") == .invalid(.whitespaceBeforeColon))
        #expect(parse("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n") == .invalid(.obsoleteLineFolding))
        #expect(parse("HTTP/1.1 200 OK\r\nX: a\u{0}\r\n\r\n") == .invalid(.invalidFieldValue))
        #expect(parse("HTTP/1.1 200 OK\nX: a\r\n\r\n") == .invalid(.bareLineFeed))
        #expect(parse("HTTP/1.1 200 OK\r\n" + String(repeating: "X: y\r\n", count: 201) + "\r\n") == .invalid(.tooManyFields))
        // Too many fields is the refusal whatever else is wrong, wherever it is.
        #expect(parse("HTTP/1.1 200 OK\r\nX : a\r\n" + String(repeating: "X: y\r\n", count: 200) + "\r\n") == .invalid(.tooManyFields))
        #expect(parse("HTTP/1.1 200 OK\r\nX : a\r\n" + String(repeating: "X: y\r\n", count: 199) + "\r\n")
            == .invalid(.whitespaceBeforeColon))
    }

    @Test func persistenceFollowsTheVersionAndConnection() {
        #expect(head("HTTP/1.1 200 OK\r\n\r\n")?.keepsAlive == true)
        #expect(head("HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n")?.keepsAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\n\r\n")?.keepsAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n")?.keepsAlive == true)
        #expect(head("HTTP/1.1 200 OK\r\nset-cookie: a\r\nSet-Cookie: b\r\n\r\n")?.values(of: "SET-COOKIE") == ["a", "b"])
    }

    @Test func aContinueIsFollowedByTheFinalHead() {
        let bytes = Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        #expect(responseEvents(bytes) == ["100 Continue 0 @25", "200 OK 1 @63"])
    }

    /// Each input with the number of events one read gives (heads, then a refusal).
    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\nHTTP/1.1 200 O\nK", 3),
        // A CR in the reason or a value, a CR before the empty line's CRLF, a field line
        // ending in LF alone: each refused however the head came.
        ("HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n", 1),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\r\n\r\n", 1),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\r\n", 1),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", 1),
        ("HTTP/1.1 200 OK\r\n\rX\r\nContent-Length: 0\r\n\r\n", 1),
        ("\r\nHTTP/1.1 200 OK\r\n\r\n", 1),
    ])
    func everySplitGivesTheSameHeadsAsOneFeed(_ text: String, _ events: Int) {
        let bytes = Array(text.utf8)
        let whole = responseEvents(bytes)
        #expect(whole.count == events, "\(whole)")
        for cut in 1..<bytes.count {
            #expect(responseEvents(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
        #expect(responseEvents(bytes, cuts: Array(1..<bytes.count)) == whole)
    }
}
