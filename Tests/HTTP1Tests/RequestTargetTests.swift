// The request-target forms the Ingress forwards, the host it routes on, the target it sends,
// and the limits it reads a request line and a head with (RFC 9112 §3, RFC 3986).
import HTTP1
import Testing

private func parse(_ head: String, limits: HTTPRequestHeadParser.Limits = .init()) -> HTTPHeadParseResult {
    var parser = HTTPRequestHeadParser(limits: limits)
    return parser.feed(Array(head.utf8))
}

private func head(_ text: String) -> HTTPRequestHead? {
    guard case .complete(let head, _) = parse(text) else { return nil }
    return head
}

struct TargetRow: CustomTestStringConvertible, Sendable {
    let line: String
    /// nil: refused as .invalidTarget.
    let routingHost: String?
    let originFormTarget: String
    var testDescription: String { line }
}

private let targets: [TargetRow] = [
    TargetRow(line: "GET /x?y=1 HTTP/1.1", routingHost: "host.test", originFormTarget: "/x?y=1"),
    TargetRow(line: "GET /a%20b%2f HTTP/1.1", routingHost: "host.test", originFormTarget: "/a%20b%2f"),
    TargetRow(line: "GET /q?json={\"a\":[1|2]} HTTP/1.1", routingHost: "host.test", originFormTarget: "/q?json={\"a\":[1|2]}"),
    TargetRow(line: "GET http://a.example/x HTTP/1.1", routingHost: "a.example", originFormTarget: "/x"),
    TargetRow(line: "GET HTTPS://a.example:8443/x?q HTTP/1.1", routingHost: "a.example:8443", originFormTarget: "/x?q"),
    TargetRow(line: "GET http://a.example HTTP/1.1", routingHost: "a.example", originFormTarget: "/"),
    TargetRow(line: "GET http://a.example?q=1 HTTP/1.1", routingHost: "a.example", originFormTarget: "/?q=1"),
    TargetRow(line: "GET http://[2001:db8::1]:80/ HTTP/1.1", routingHost: "[2001:db8::1]:80", originFormTarget: "/"),
    TargetRow(line: "OPTIONS * HTTP/1.1", routingHost: "host.test", originFormTarget: "*"),
    TargetRow(line: "GET /a#frag HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET /a%2 HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET /a%zz HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET /a% HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET a/b HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "CONNECT a.example:443 HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "CONNECT / HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET * HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET Http://a.example/x HTTP/1.1", routingHost: "a.example", originFormTarget: "/x"),
    TargetRow(line: "GET ftp://a.example/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET hxxp://a.example/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET (ttp://a.example/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http:/a.example/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http:///x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http://user@a.example/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http://a.example:99999/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http://a.example:/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET http://[zz]/x HTTP/1.1", routingHost: nil, originFormTarget: ""),
    TargetRow(line: "GET a.example:80 HTTP/1.1", routingHost: nil, originFormTarget: ""),
]

@Suite struct RequestTargetTests {
    @Test(arguments: targets)
    func formsAreForwardedOrRefused(_ row: TargetRow) {
        let result = parse("\(row.line)\r\nHost: host.test\r\n\r\n")
        guard let routingHost = row.routingHost else {
            #expect(result == .invalid(.invalidTarget, status: .badRequest))
            return
        }
        guard case .complete(let head, _) = result else {
            Issue.record("refused: \(result)")
            return
        }
        #expect(head.routingHost == Substring(routingHost))
        #expect(head.originFormTarget == Substring(row.originFormTarget))
    }

    @Test func routingHostIsEmptyForHTTP10WithoutHost() {
        #expect(head("GET / HTTP/1.0\r\n\r\n")?.routingHost == "")
        #expect(head("GET http://a.example/ HTTP/1.0\r\n\r\n")?.routingHost == "a.example")
    }

    @Test(arguments: ["a.example", "a.example:8080", "[::1]:80", "192.0.2.1", "xn--caf-dma.example", ""])
    func hostValuesRouteAsSent(_ host: String) {
        #expect(head("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")?.routingHost == Substring(host))
    }

    @Test(arguments: ["a b", "a/b", "user@a.example", "a.example:", "a.example:80:80", "a.example:x", "[::1", "caf\u{e9}"])
    func hostValuesOutsideTheGrammarAreRefused(_ host: String) {
        #expect(parse("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") == .invalid(.invalidHost, status: .badRequest))
    }

    @Test func aRequestLinePastItsLimitIsRefusedAtItsLimitsNextByte() {
        var parser = HTTPRequestHeadParser(limits: .init(requestLineBytes: 16, headBytes: 1024))
        #expect(parser.feed(Array("GET /0123456789a".utf8)) == .needMore)
        #expect(parser.feed(Array("b".utf8)) == .invalid(.requestLineTooLong, status: .uriTooLong))
    }

    @Test func theHeadLimitIsSeparateFromTheRequestLineLimit() {
        let limits = HTTPRequestHeadParser.Limits(requestLineBytes: 8192, headBytes: 32768, fields: 100)
        let longLine = "GET /\(String(repeating: "a", count: 8186)) HTTP/1.1"
        #expect(longLine.utf8.count == 8200)
        #expect(parse("\(longLine)\r\nHost: a\r\n\r\n", limits: limits) == .invalid(.requestLineTooLong, status: .uriTooLong))
        let fitting = "GET /\(String(repeating: "a", count: 8178)) HTTP/1.1"
        let bigField = "X: \(String(repeating: "b", count: 20000))\r\n"
        guard case .complete = parse("\(fitting)\r\nHost: a\r\n\(bigField)\r\n", limits: limits) else {
            Issue.record("a 28 KiB head refused under a 32 KiB limit")
            return
        }
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\(bigField)\(bigField)\r\n", limits: limits)
            == .invalid(.headTooLarge, status: .requestHeaderFieldsTooLarge))
    }

    @Test func upgradeNeedsHTTP11AnUpgradeFieldAndConnectionNamingIt() {
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n")?.upgradeRequested == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n")?.upgradeRequested == false)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n")?.upgradeRequested == false)
        #expect(head("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")?.upgradeRequested == false)
    }

    @Test func continueIsExpectedOnlyByHTTP11() {
        #expect(head("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")?.expectsContinue == true)
        #expect(head("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n")?.expectsContinue == false)
        #expect(head("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")?.expectsContinue == false)
    }
}
