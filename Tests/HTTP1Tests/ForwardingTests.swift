// The heads the Ingress proxy writes: a request to the endpoint without hop-by-hop fields
// and with X-Forwarded-*, a response to the client with the proxy's own persistence.
@testable import HTTP1
import Testing

private let context = HTTPForwardingContext(clientAddress: "192.0.2.7", proto: "https", listenerPort: 8443, generatedRequestID: "gen-1")

private func forwarded(_ text: String, _ context: HTTPForwardingContext = context) -> String {
    var parser = HTTPRequestHeadParser()
    guard case .complete(let head, _) = parser.feed(Array(text.utf8)) else { return "refused" }
    return String(decoding: head.forwardedHead(context), as: UTF8.self)
}

private func forwardedResponse(_ text: String, clientVersion: HTTPVersion = .http11, closing: Bool = false) -> String {
    var parser = HTTPResponseHeadParser()
    guard case .complete(let head, _) = Array(text.utf8).withUnsafeBytes({ parser.feed($0) }) else { return "refused" }
    return String(decoding: head.forwardedHead(clientVersion: clientVersion, closing: closing), as: UTF8.self)
}

private let proxyFields = "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\nX-Real-IP: 192.0.2.7\r\n"

@Suite struct RequestForwardingTests {
    @Test func aPlainRequestGetsTheForwardedFields() {
        #expect(forwarded("GET /a?b HTTP/1.1\r\nHost: web.test\r\nAccept: */*\r\n\r\n")
            == "GET /a?b HTTP/1.1\r\nHost: web.test\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Host: web.test\r\n"
            + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
    }

    @Test func hopByHopFieldsStopAtTheProxyButFramingFieldsDoNot() {
        let request = "POST /p HTTP/1.1\r\nHost: web.test\r\nConnection: keep-alive, X-Secret, Content-Length, Host\r\n"
            + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\n"
            + "X-Secret: s\r\nx-secret: t\r\nContent-Length: 3\r\nX-Request-ID: client-9\r\n\r\n"
        #expect(forwarded(request)
            == "POST /p HTTP/1.1\r\nHost: web.test\r\nContent-Length: 3\r\nX-Request-ID: client-9\r\n"
            + "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Host: web.test\r\n" + proxyFields + "\r\n")
    }

    @Test func earlierHopsAreKeptAndTheClientsClaimsReplaced() {
        let request = "GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nHost: web.test\r\nX-Forwarded-For: 10.0.0.3\r\n"
            + "X-Forwarded-Host: evil.test\r\nX-Real-IP: 1.1.1.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 1\r\n\r\n"
        #expect(forwarded(request)
            == "GET / HTTP/1.1\r\nHost: web.test\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 192.0.2.7\r\n"
            + "X-Forwarded-Host: web.test\r\n" + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
    }

    @Test func aRequestIDTheClientMadeHopByHopIsReplacedByOursNotLeftEmpty() {
        func head(_ text: String) -> HTTPRequestHead? {
            var parser = HTTPRequestHeadParser()
            guard case .complete(let head, _) = parser.feed(Array(text.utf8)) else { return nil }
            return head
        }
        #expect(head("GET / HTTP/1.1\r\nHost: web.test\r\nX-Request-ID: abc\r\n\r\n")?.forwardsItsRequestID == true)
        #expect(head("GET / HTTP/1.1\r\nHost: web.test\r\n\r\n")?.forwardsItsRequestID == false)
        let listed = "GET / HTTP/1.1\r\nHost: web.test\r\nX-Request-ID: abc\r\nConnection: x-request-id\r\n\r\n"
        #expect(head(listed)?.forwardsItsRequestID == false)
        #expect(forwarded(listed) == "GET / HTTP/1.1\r\nHost: web.test\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Host: web.test\r\n"
            + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
    }

    @Test func anAbsoluteFormTargetGoesInOriginFormWithItsAuthorityAsHost() {
        #expect(forwarded("GET http://a.example:8080?q HTTP/1.1\r\nHost: other.test\r\n\r\n")
            == "GET /?q HTTP/1.1\r\nHost: a.example:8080\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Host: a.example:8080\r\n"
            + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
        #expect(forwarded("GET http://a.example/x HTTP/1.0\r\n\r\n")
            == "GET /x HTTP/1.0\r\nHost: a.example\r\nConnection: close\r\nX-Forwarded-For: 192.0.2.7\r\n"
            + "X-Forwarded-Host: a.example\r\n" + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
    }

    @Test func anHTTP10RequestGoesAsHTTP10AndClosing() {
        #expect(forwarded("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            == "GET / HTTP/1.0\r\nConnection: close\r\nX-Forwarded-For: 192.0.2.7\r\n" + proxyFields + "X-Request-ID: gen-1\r\n\r\n")
    }

    @Test func aTunnelKeepsUpgrade() {
        var tunnel = context
        tunnel.tunnel = true
        tunnel.clientAddress = "2001:db8::1"
        #expect(forwarded("GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n", tunnel)
            == "GET /ws HTTP/1.1\r\nHost: web.test\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\nConnection: Upgrade\r\n"
            + "X-Forwarded-For: 2001:db8::1\r\nX-Forwarded-Host: web.test\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\n"
            + "X-Real-IP: 2001:db8::1\r\nX-Request-ID: gen-1\r\n\r\n")
    }

    @Test(arguments: [0, 1, 9, 10, 15, 16, 255, 0xDEAD_BEEF, UInt64.max] as [UInt64])
    func aGeneratedRequestIDIsItsStemAndItsNumberInHex(_ number: UInt64) {
        var numbered = context
        numbered.generatedRequestID = HTTPRequestID(stem: "7f-0-", number: number)
        #expect(forwarded("GET / HTTP/1.1\r\nHost: a\r\n\r\n", numbered).contains("\r\nX-Request-ID: 7f-0-\(String(number, radix: 16))\r\n"))
        #expect(numbered.generatedRequestID.description == "7f-0-\(String(number, radix: 16))")
    }

    @Test func aHeadWrittenInPlaceIsTheHeadOrNothing() {
        var parser = HTTPRequestHeadParser()
        guard case .complete(let head, _) = parser.feed(Array("GET /a HTTP/1.1\r\nHost: web.test\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n".utf8)) else {
            Issue.record("refused")
            return
        }
        let whole = head.forwardedHead(context)
        #expect(head.forwardedHeadRoom(context) >= whole.count)
        for capacity in [0, 1, whole.count - 1, whole.count, whole.count + 1] {
            var room = [UInt8](repeating: 0, count: max(capacity, 1))
            let written = room.withUnsafeMutableBytes { head.writeForwardedHead(context, into: $0.baseAddress!, capacity: capacity) }
            #expect(written == (capacity >= whole.count ? whole.count : nil), "capacity \(capacity)")
            if let written { #expect(Array(room[..<written]) == whole) }
        }

        // Room enough for a long host and a long client address, both written twice.
        var wide = context
        wide.clientAddress = "2001:db8:1234:5678:9abc:def0:1234:5678"
        wide.generatedRequestID = HTTPRequestID(stem: "ffffffffffffffff-63-", number: .max)
        var longParser = HTTPRequestHeadParser()
        let host = String(repeating: "h", count: 200) + ".example"
        guard case .complete(let long, _) = longParser.feed(Array("GET / HTTP/1.1\r\nHost: \(host)\r\nX-Forwarded-For: 1\r\n\r\n".utf8)) else {
            Issue.record("refused")
            return
        }
        #expect(long.forwardedHeadRoom(wide) >= long.forwardedHead(wide).count)

        var responseParser = HTTPResponseHeadParser()
        let response = Array("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n".utf8)
        guard case .complete(let answer, _) = response.withUnsafeBytes({ responseParser.feed($0) }) else {
            Issue.record("refused")
            return
        }
        let forwarded = answer.forwardedHead(clientVersion: .http10, closing: false)
        #expect(answer.forwardedHeadRoom >= forwarded.count)
        for capacity in [forwarded.count - 1, forwarded.count] {
            var room = [UInt8](repeating: 0, count: capacity)
            let written = room.withUnsafeMutableBytes {
                answer.writeForwardedHead(clientVersion: .http10, closing: false, into: $0.baseAddress!, capacity: capacity)
            }
            #expect(written == (capacity == forwarded.count ? forwarded.count : nil))
            if let written { #expect(Array(room[..<written]) == forwarded) }
        }
    }

    @Test func contextValuesCannotSplitTheHead() {
        var hostile = context
        hostile.generatedRequestID = "a\r\nX-Injected: 1"
        hostile.clientAddress = HTTPFieldValue("b\nX-Injected: 2\u{0}")
        hostile.proto = "c\rX-Injected: 3"
        let head = forwarded("GET / HTTP/1.1\r\nHost: a\r\n\r\n", hostile)
        #expect(!head.contains("\r\nX-Injected") && head.contains("X-Real-IP: b X-Injected: 2 \r\n"))
    }

    @Test func theForwardedHeadParsesToTheSameFraming() {
        let request = "POST http://a.example/p HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nConnection: te\r\nTE: trailers\r\n\r\n"
        var parser = HTTPRequestHeadParser()
        guard case .complete(let head, _) = parser.feed(Array(request.utf8)),
              case .complete(let again, _) = parser.feed(head.forwardedHead(context))
        else {
            Issue.record("refused")
            return
        }
        #expect(again.framing == .chunked && again.target == "/p" && again.routingHost == "a.example")
    }
}

@Suite struct ResponseForwardingTests {
    @Test func hopByHopFieldsStopAndTheProxySaysWhetherItKeepsTheConnection() {
        let response = "HTTP/1.1 200 OK\r\nConnection: X-Internal, close\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n"
        #expect(forwardedResponse(response) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        #expect(forwardedResponse(response, closing: true) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
        #expect(forwardedResponse(response, clientVersion: .http10)
            == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n")
        #expect(forwardedResponse(response, clientVersion: .http10, closing: true)
            == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    }

    @Test func fieldsAreRemovedByNameNotByTheLengthTheyShareWithAHopByHopName() {
        let listed = "X-" + String(repeating: "l", count: 70)
        let unlisted = "X-" + String(repeating: "u", count: 70)
        let response = "HTTP/1.1 200 OK\r\nconnection: \(listed)\r\nSet-Cookie: a=1\r\nX-Debug: 1\r\nte: x\r\nTE: y\r\n"
            + "UPGRADE: h2c\r\n\(listed): 1\r\n\(unlisted): 2\r\nContent-Length: 0\r\n\r\n"
        #expect(forwardedResponse(response)
            == "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Debug: 1\r\n\(unlisted): 2\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func anHTTP10EndpointsResponseGoesAsHTTP11WithItsEmptyReason() {
        #expect(forwardedResponse("HTTP/1.0 404\r\nContent-Length: 0\r\n\r\n") == "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n")
    }

    @Test func aFieldGoesOnAsItCameWithoutItsSurroundingWhitespace() {
        let response = "HTTP/1.1 200 OK\r\nX-A:  v \t w\t \r\nX-Empty:   \r\nCONNECTION: ,, x-a ,keep-alive,\r\nContent-Length: 0\r\n\r\n"
        #expect(forwardedResponse(response) == "HTTP/1.1 200 OK\r\nX-Empty: \r\nContent-Length: 0\r\n\r\n")
        #expect(forwardedResponse("HTTP/1.1 200 OK\r\nX-A:  v \t w\t \r\nContent-Length: 0\r\n\r\n")
            == "HTTP/1.1 200 OK\r\nX-A: v \t w\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func linesKeptAsTheyCameAndLinesWrittenAnewKeepTheirOrder() {
        // Plain lines are copied in runs; a hop-by-hop field ends a run, and a line with
        // other whitespace, or none after the colon, is written anew in its place.
        let response = "HTTP/1.1 200 OK\r\nServer: s\r\nDate: d\r\nX-Odd:  o \r\nETag: e\r\nConnection: keep-alive\r\n"
            + "X-Bare:b\r\nX-Empty: \r\nAccept-Ranges: bytes\r\nContent-Length: 0\r\n\r\n"
        #expect(forwardedResponse(response)
            == "HTTP/1.1 200 OK\r\nServer: s\r\nDate: d\r\nX-Odd: o\r\nETag: e\r\nX-Bare: b\r\nX-Empty: \r\n"
            + "Accept-Ranges: bytes\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func switchingProtocolsKeepsUpgrade() {
        #expect(forwardedResponse("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: a\r\n\r\n")
            == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: a\r\nConnection: upgrade\r\n\r\n")
    }
}

@Suite struct ListSyntaxTests {
    /// RFC 9110 §5.6.1 lists are made of octets: every comma separates, even one a combining
    /// mark follows (one Character to Swift), as `Connection` and `Transfer-Encoding` are read.
    private func elements(_ list: String) -> [String] {
        var found: [String] = []
        _ = Array(list.utf8).withUnsafeBytes { bytes in
            HTTPListSyntax.anyElement(of: bytes) { element in
                found.append(String(decoding: element, as: UTF8.self))
                return false
            }
        }
        return found
    }

    @Test func everyCommaByteSeparatesAndEmptyElementsAreSkipped() {
        #expect(elements("foo,\u{301}bar, baz ,,\tqux") == ["foo", "\u{301}bar", "baz", "qux"])
        #expect(elements(" , ") == [])
    }
}

@Suite struct PersistenceTests {
    private func head(_ text: String) -> HTTPRequestHead? {
        var parser = HTTPRequestHeadParser()
        guard case .complete(let head, _) = parser.feed(Array(text.utf8)) else { return nil }
        return head
    }

    /// Connection is a list: `close` and `keep-alive` count wherever they stand in it, in any
    /// case, over any number of field lines.
    @Test func closeAndKeepAliveAreFoundAnywhereInTheConnectionList() {
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: x-a,, Close \r\n\r\n")?.keepsAlive == false)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: x-a\r\nConnection: close\r\n\r\n")?.keepsAlive == false)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, x-close\r\n\r\n")?.keepsAlive == true)
        #expect(head("GET / HTTP/1.0\r\nConnection: x-a ,KEEP-ALIVE\r\n\r\n")?.keepsAlive == true)
        #expect(head("GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n")?.keepsAlive == false)
    }

    @Test func aWebSocketUpgradeIsNamedInConnectionAndUpgrade() {
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c, WebSocket\r\n\r\n")?
            .upgradesToWebSocket == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgraded\r\nUpgrade: websocket\r\n\r\n")?.upgradesToWebSocket == false)
    }

    /// A field made in code can carry no line break or NUL into a head, whoever writes it.
    @Test func aFieldMadeInCodeHasNoLineBreaks() {
        let field = HTTPField(name: "X-A\r\n", value: "a\r\nSet-Cookie: b\u{0}")
        #expect(field.name == "X-A  " && field.value == "a  Set-Cookie: b ")
        #expect(field == HTTPField(name: "X-A  ", value: "a  Set-Cookie: b "))
        #expect(field != HTTPField(name: "X-A", value: "  a  Set-Cookie: b "))
    }
}
