// Every rule of the strict request-head parser as one row: the bytes sent, and either the
// head that comes out or the reason and status it is refused with (RFC 9112, RFC 9110).
import HTTP1
import Testing

private let host = "Host: example.test\r\n"

struct Refusal: CustomTestStringConvertible, Sendable {
    let name: String
    let head: String
    let error: HTTPParseError
    let status: Int
    var testDescription: String { name }
}

private let refusals: [Refusal] = [
    Refusal(name: "bare LF ends the request line", head: "GET / HTTP/1.1\n\(host)\r\n", error: .bareLineFeed, status: 400),
    Refusal(name: "bare LF ends a field line", head: "GET / HTTP/1.1\r\nHost: a\n\r\n", error: .bareLineFeed, status: 400),
    Refusal(name: "bare CR inside the request line", head: "GET /\r HTTP/1.1\r\n\(host)\r\n", error: .bareCarriageReturn, status: 400),
    Refusal(name: "bare CR inside a value", head: "GET / HTTP/1.1\r\n\(host)X: a\rb\r\n\r\n", error: .bareCarriageReturn, status: 400),
    Refusal(name: "obs-fold", head: "GET / HTTP/1.1\r\n\(host)X: a\r\n  b\r\n\r\n", error: .obsoleteLineFolding, status: 400),
    Refusal(name: "obs-fold with a tab", head: "GET / HTTP/1.1\r\n\(host)X: a\r\n\tb\r\n\r\n", error: .obsoleteLineFolding, status: 400),
    Refusal(name: "whitespace before the first field", head: "GET / HTTP/1.1\r\n \(host)\r\n", error: .whitespaceBeforeFirstField, status: 400),
    Refusal(name: "space before the colon", head: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", error: .whitespaceBeforeColon, status: 400),
    Refusal(name: "tab before the colon", head: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", error: .whitespaceBeforeColon, status: 400),
    Refusal(name: "no colon", head: "GET / HTTP/1.1\r\n\(host)Just a line\r\n\r\n", error: .missingColon, status: 400),
    Refusal(name: "empty field name", head: "GET / HTTP/1.1\r\n\(host): a\r\n\r\n", error: .invalidFieldName, status: 400),
    Refusal(name: "field name outside token", head: "GET / HTTP/1.1\r\n\(host)X(y): a\r\n\r\n", error: .invalidFieldName, status: 400),
    Refusal(name: "NUL in a value", head: "GET / HTTP/1.1\r\n\(host)X: a\u{0}b\r\n\r\n", error: .invalidFieldValue, status: 400),
    Refusal(name: "DEL in a value", head: "GET / HTTP/1.1\r\n\(host)X: a\u{7F}\r\n\r\n", error: .invalidFieldValue, status: 400),
    Refusal(name: "two spaces in the request line", head: "GET  / HTTP/1.1\r\n\(host)\r\n", error: .malformedRequestLine, status: 400),
    Refusal(name: "no version", head: "GET /\r\n\(host)\r\n", error: .malformedRequestLine, status: 400),
    Refusal(name: "trailing space after the version", head: "GET / HTTP/1.1 \r\n\(host)\r\n", error: .malformedRequestLine, status: 400),
    Refusal(name: "tab as separator", head: "GET\t/ HTTP/1.1\r\n\(host)\r\n", error: .malformedRequestLine, status: 400),
    Refusal(name: "method outside token", head: "G@T / HTTP/1.1\r\n\(host)\r\n", error: .invalidMethod, status: 400),
    Refusal(name: "control character in the target", head: "GET /a\u{1}b HTTP/1.1\r\n\(host)\r\n", error: .invalidTarget, status: 400),
    Refusal(name: "asterisk-form for anything but OPTIONS", head: "M-SEARCH * HTTP/1.1\r\n\(host)\r\n", error: .invalidTarget, status: 400),
    Refusal(name: "non-ASCII target", head: "GET /é HTTP/1.1\r\n\(host)\r\n", error: .invalidTarget, status: 400),
    Refusal(name: "lower-case version", head: "GET / http/1.1\r\n\(host)\r\n", error: .malformedVersion, status: 400),
    Refusal(name: "two-digit minor version", head: "GET / HTTP/1.10\r\n\(host)\r\n", error: .malformedVersion, status: 400),
    Refusal(name: "HTTP/2.0 on an HTTP/1 connection", head: "GET / HTTP/2.0\r\n\(host)\r\n", error: .unsupportedVersion, status: 505),
    Refusal(name: "HTTP/0.9-style line", head: "GET / HTTP/0.9\r\n\r\n", error: .unsupportedVersion, status: 505),
    Refusal(name: "HTTP/1.1 without Host", head: "GET / HTTP/1.1\r\nX: a\r\n\r\n", error: .missingHost, status: 400),
    Refusal(name: "two Host lines", head: "GET / HTTP/1.1\r\n\(host)\(host)\r\n", error: .duplicateHost, status: 400),
    Refusal(name: "two Host lines in HTTP/1.0", head: "GET / HTTP/1.0\r\n\(host)\(host)\r\n", error: .duplicateHost, status: 400),
    Refusal(name: "Content-Length not a number", head: "POST / HTTP/1.1\r\n\(host)Content-Length: abc\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "Content-Length with a sign", head: "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "negative Content-Length", head: "POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "space inside Content-Length", head: "POST / HTTP/1.1\r\n\(host)Content-Length: 1 2\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "empty Content-Length", head: "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "empty element in Content-Length", head: "POST / HTTP/1.1\r\n\(host)Content-Length: 5,\r\n\r\n", error: .invalidContentLength, status: 400),
    Refusal(name: "Content-Length past UInt64", head: "POST / HTTP/1.1\r\n\(host)Content-Length: 18446744073709551616\r\n\r\n",
            error: .invalidContentLength, status: 400),
    Refusal(name: "two Content-Length values in one line", head: "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\n",
            error: .conflictingContentLength, status: 400),
    Refusal(name: "two Content-Length lines that differ", head: "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
            error: .conflictingContentLength, status: 400),
    Refusal(name: "Transfer-Encoding and Content-Length", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            error: .contentLengthWithTransferEncoding, status: 400),
    Refusal(name: "Transfer-Encoding in HTTP/1.0", head: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            error: .transferEncodingInHTTP10, status: 400),
    Refusal(name: "chunked not final", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n", error: .chunkedNotFinal, status: 400),
    Refusal(name: "no chunked at all", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n", error: .chunkedNotFinal, status: 400),
    Refusal(name: "empty Transfer-Encoding", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\r\n\r\n", error: .chunkedNotFinal, status: 400),
    Refusal(name: "chunked twice in one line", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, chunked\r\n\r\n",
            error: .chunkedTwice, status: 400),
    Refusal(name: "chunked twice over two lines", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            error: .chunkedTwice, status: 400),
    Refusal(name: "a coding we do not implement", head: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n",
            error: .unknownTransferCoding, status: 501),
    Refusal(name: "101 fields", head: "GET / HTTP/1.1\r\n\(host)" + String(repeating: "X: y\r\n", count: 100) + "\r\n",
            error: .tooManyFields, status: 431),
    Refusal(name: "a field past 8 KiB", head: "GET / HTTP/1.1\r\n\(host)X: \(String(repeating: "a", count: 8192))\r\n\r\n",
            error: .headTooLarge, status: 431),
    Refusal(name: "a target past 8 KiB", head: "GET /\(String(repeating: "a", count: 8192)) HTTP/1.1\r\n\(host)\r\n",
            error: .requestLineTooLong, status: 414),
]

struct Acceptance: CustomTestStringConvertible, Sendable {
    let name: String
    let head: String
    let method: String
    let target: String
    let version: HTTPVersion
    let framing: HTTPBodyFraming
    var testDescription: String { name }
}

private let acceptances: [Acceptance] = [
    Acceptance(name: "the smallest HTTP/1.1 request", head: "GET / HTTP/1.1\r\n\(host)\r\n", method: "GET", target: "/",
               version: .http11, framing: .none),
    Acceptance(name: "HTTP/1.0 needs no Host", head: "HEAD /healthz?verbose HTTP/1.0\r\n\r\n", method: "HEAD", target: "/healthz?verbose",
               version: .http10, framing: .none),
    Acceptance(name: "empty lines before the request line", head: "\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n", method: "GET", target: "/",
               version: .http11, framing: .none),
    Acceptance(name: "any token is a method", head: "M-SEARCH / HTTP/1.1\r\n\(host)\r\n", method: "M-SEARCH", target: "/",
               version: .http11, framing: .none),
    Acceptance(name: "asterisk-form for OPTIONS", head: "OPTIONS * HTTP/1.1\r\n\(host)\r\n", method: "OPTIONS", target: "*",
               version: .http11, framing: .none),
    Acceptance(name: "absolute-form target", head: "GET http://example.test/a HTTP/1.1\r\n\(host)\r\n", method: "GET",
               target: "http://example.test/a", version: .http11, framing: .none),
    Acceptance(name: "Content-Length", head: "POST /p HTTP/1.1\r\n\(host)Content-Length: 42\r\n\r\n", method: "POST", target: "/p",
               version: .http11, framing: .contentLength(42)),
    Acceptance(name: "the largest Content-Length, leading zeros allowed",
               head: "POST /p HTTP/1.1\r\n\(host)Content-Length: 0018446744073709551615\r\n\r\n", method: "POST", target: "/p",
               version: .http11, framing: .contentLength(UInt64.max)),
    Acceptance(name: "Content-Length repeated with one value in a list", head: "POST /p HTTP/1.1\r\n\(host)Content-Length: 42, 42\r\n\r\n",
               method: "POST", target: "/p", version: .http11, framing: .contentLength(42)),
    Acceptance(name: "Content-Length repeated over lines with one value",
               head: "POST /p HTTP/1.1\r\n\(host)content-length: 7\r\nContent-Length: 7\r\n\r\n", method: "POST", target: "/p",
               version: .http11, framing: .contentLength(7)),
    Acceptance(name: "chunked, any case", head: "POST /p HTTP/1.1\r\n\(host)Transfer-Encoding: Chunked\r\n\r\n", method: "POST",
               target: "/p", version: .http11, framing: .chunked),
    Acceptance(name: "an empty list element is ignored", head: "POST /p HTTP/1.1\r\n\(host)Transfer-Encoding: ,chunked\r\n\r\n",
               method: "POST", target: "/p", version: .http11, framing: .chunked),
    Acceptance(name: "obs-text in a value", head: "GET / HTTP/1.1\r\n\(host)X: caf\u{e9}\r\n\r\n", method: "GET", target: "/",
               version: .http11, framing: .none),
    Acceptance(name: "exactly 100 fields", head: "GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 99) + host + "\r\n",
               method: "GET", target: "/", version: .http11, framing: .none),
]

private func parseWhole(_ head: String) -> HTTPHeadParseResult {
    var parser = HTTPRequestHeadParser()
    return parser.feed(Array(head.utf8))
}

@Suite struct RequestHeadTableTests {
    @Test(arguments: refusals)
    func refusesWithTheReasonAndStatus(_ row: Refusal) {
        guard case .invalid(let error, let status) = parseWhole(row.head) else {
            Issue.record("\(row.name): accepted")
            return
        }
        #expect(error == row.error)
        #expect(status.code == row.status)
    }

    @Test(arguments: acceptances)
    func acceptsAndReadsTheRequestLineAndFraming(_ row: Acceptance) throws {
        guard case .complete(let head, let consumed) = parseWhole(row.head) else {
            Issue.record("\(row.name): \(parseWhole(row.head))")
            return
        }
        #expect(consumed == row.head.utf8.count)
        #expect(head.method == row.method && head.target == row.target)
        #expect(head.version == row.version && head.framing == row.framing)
    }

    @Test func fieldValuesLoseTheirSurroundingWhitespaceAndKeepTheirOrder() throws {
        guard case .complete(let head, _) = parseWhole("GET /a?b HTTP/1.1\r\nHost:  \t example.test \t\r\nX-Empty:\r\nx-a: 1\r\nX-A: 2\r\n\r\n")
        else {
            Issue.record("refused")
            return
        }
        #expect(head.fields == [HTTPField(name: "Host", value: "example.test"), HTTPField(name: "X-Empty", value: ""),
                                HTTPField(name: "x-a", value: "1"), HTTPField(name: "X-A", value: "2")])
        #expect(head.values(of: "X-a") == ["1", "2"])
        #expect(head.path == "/a")
    }

    @Test func persistenceFollowsTheVersionAndConnection() {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\n\(host)\r\n", true),
            ("GET / HTTP/1.1\r\n\(host)Connection: Close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\n\(host)Connection: upgrade, close\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ]
        for (text, keepsAlive) in cases {
            guard case .complete(let head, _) = parseWhole(text) else {
                Issue.record("refused: \(text)")
                continue
            }
            #expect(head.keepsAlive == keepsAlive, "\(text)")
        }
    }
}
