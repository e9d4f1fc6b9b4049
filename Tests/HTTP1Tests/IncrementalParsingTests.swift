// The parser as a connection feeds it: a byte at a time, a head with its body behind it,
// pipelined heads, and refusals that come as soon as the offending byte does.
import HTTP1
import Testing

private let request = Array("GET /metrics HTTP/1.1\r\nHost: node\r\n\r\n".utf8)

@Suite struct IncrementalParsingTests {
    @Test func aHeadFedByteByByteCompletesOnItsLastByte() {
        var parser = HTTPRequestHeadParser()
        for byte in request.dropLast() {
            #expect(parser.feed([byte]) == .needMore)
        }
        guard case .complete(let head, let consumed) = parser.feed([request[request.count - 1]]) else {
            Issue.record("not complete")
            return
        }
        #expect(consumed == 1 && head.target == "/metrics")
    }

    @Test func bytesAfterTheHeadAreLeftToTheCaller() {
        var parser = HTTPRequestHeadParser()
        let body = Array("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".utf8)
        guard case .complete(let head, let consumed) = parser.feed(body) else {
            Issue.record("not complete")
            return
        }
        #expect(head.framing == .contentLength(5))
        #expect(Array(body[consumed...]) == Array("hello".utf8))
    }

    @Test func afterOneHeadTheParserReadsTheNext() {
        var parser = HTTPRequestHeadParser()
        let two = request + Array("HEAD /livez HTTP/1.1\r\nHost: node\r\n\r\n".utf8)
        guard case .complete(_, let consumed) = parser.feed(two) else {
            Issue.record("first not complete")
            return
        }
        guard case .complete(let second, let rest) = parser.feed(two[consumed...]) else {
            Issue.record("second not complete")
            return
        }
        #expect(second.method == "HEAD" && consumed + rest == two.count)
    }

    @Test func aBareLineFeedIsRefusedAtOnceNotAtTheLimit() {
        var parser = HTTPRequestHeadParser()
        #expect(parser.feed(Array("GET / HTTP/1.1".utf8)) == .needMore)
        #expect(parser.feed([10]) == .invalid(.bareLineFeed, status: .badRequest))
    }

    @Test func aRefusalIsFinal() {
        var parser = HTTPRequestHeadParser()
        _ = parser.feed(Array("GET / HTTP/1.1\r\n Host: a\r\n\r\n".utf8))
        #expect(parser.feed(request) == .invalid(.whitespaceBeforeFirstField, status: .badRequest))
    }

    @Test func theLimitCountsEveryByteOfTheHead() {
        var parser = HTTPRequestHeadParser(limits: .init(headBytes: 64))
        let line = Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8)
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 64 - line.count - 4)
        guard case .complete = parser.feed(line + filler + Array("\r\n\r\n".utf8)) else {
            Issue.record("a head of exactly the limit is refused")
            return
        }
        #expect(parser.feed(line + filler + Array("a\r\n\r\n".utf8)) == .invalid(.headTooLarge, status: .requestHeaderFieldsTooLarge))
    }

    @Test func theLimitCountsTheLineEndsOfFieldLinesToo() {
        // The CR of the field line is the head's 64th byte, its LF the 65th.
        let head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 35) + "\r\nY: b\r\n\r\n"
        var parser = HTTPRequestHeadParser(limits: .init(headBytes: 64))
        #expect(parser.feed(Array(head.utf8)) == .invalid(.headTooLarge, status: .requestHeaderFieldsTooLarge))
        var roomier = HTTPRequestHeadParser(limits: .init(headBytes: 73))
        guard case .complete = roomier.feed(Array(head.utf8)) else {
            Issue.record("a head of exactly the limit is refused")
            return
        }
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a\r\nX: 01234567890123456789012345678901234\r\nY: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n X: b\r\n\r\n",
        "\r\nGET http://a.example/ HTTP/1.0\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET /\u{1} HTTP/1.1\r\n\r\n",
        "GET /0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890123456789\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-!#$%&'*+-.^_`|~: 1\r\n\r\nGET / HTTP/1.1\r\nX@: 1\r\n\r\n",
        // What a head that came whole is taken by at once, on either side of each of its
        // checks: a CR anywhere but before an LF, an LF without its CR, the request line's
        // limit (24) and the head's (64) met and passed by one, an empty line held back.
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
        "GET / HTTP/1.1\r\n\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u{0}\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n",
        "GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /0123456789a HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 01234567890123456789012345678901\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789012\r\n\r\n",
    ])
    func everySplitGivesTheSameHeadsAsOneFeed(_ text: String) {
        let bytes = Array(text.utf8)
        let limits = HTTPRequestHeadParser.Limits(requestLineBytes: 24, headBytes: 64, fields: 4)
        let whole = requestEvents(bytes, limits: limits)
        #expect(!whole.isEmpty)
        for cut in 1..<bytes.count {
            #expect(requestEvents(bytes, cuts: [cut], limits: limits) == whole, "cut at \(cut)")
        }
        #expect(requestEvents(bytes, cuts: Array(1..<bytes.count), limits: limits) == whole)
    }

    @Test func endlessEmptyLinesBeforeTheRequestLineRunIntoTheLimit() {
        var parser = HTTPRequestHeadParser(limits: .init(headBytes: 64))
        var result = HTTPHeadParseResult.needMore
        for _ in 0..<100 where result == .needMore {
            result = parser.feed(Array("\r\n".utf8))
        }
        #expect(result == .invalid(.headTooLarge, status: .requestHeaderFieldsTooLarge))
    }
}

@Suite struct ResponseWriterTests {
    @Test func writesStatusFieldsLengthAndBody() {
        let response = HTTPResponse(status: .ok, contentType: "application/json", body: "{}\n",
                                    fields: [HTTPField(name: "Connection", value: "close")])
        #expect(String(decoding: response.serialized(), as: UTF8.self)
            == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 3\r\n\r\n{}\n")
    }

    @Test func aResponseToHeadKeepsItsLengthButNotItsBody() {
        let bytes = HTTPResponse.error(.notFound).serialized(includeBody: false)
        #expect(String(decoding: bytes, as: UTF8.self)
            == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\n")
    }

    @Test func noValueCanSplitTheResponse() {
        let response = HTTPResponse(status: .ok, fields: [
            HTTPField(name: "X-Note", value: "a\r\nSet-Cookie: b"), HTTPField(name: "Content-Length", value: "999"),
            HTTPField(name: "Bad Name", value: "c"),
        ])
        #expect(String(decoding: response.serialized(), as: UTF8.self)
            == "HTTP/1.1 200 OK\r\nX-Note: a  Set-Cookie: b\r\nContent-Length: 0\r\n\r\n")
    }
}
