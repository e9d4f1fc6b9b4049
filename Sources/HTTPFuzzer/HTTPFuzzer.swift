// The HTTP/1.1 codec's fuzz target: any bytes, read as requests, as responses and as a
// chunked body, must end in a value, never a crash or a hang; read in two pieces they must
// give what they give in one, since a connection's reads split a message anywhere. Every
// head that parses is forwarded, and what the proxy would write must parse again to the same
// framing: a forwarded head that another parser frames differently is a smuggled request.
// Built only with SVCPROXY_FUZZ=1 and `-sanitize=fuzzer` (scripts/fuzz-http).
import HTTP1

/// Small limits, so that every limit is reached by inputs of a few hundred bytes.
private let fuzzLimits = HTTPRequestHeadParser.Limits(requestLineBytes: 200, headBytes: 1024, fields: 16)
/// Room for what forwarding adds, when a forwarded head is parsed again.
private let roomyLimits = HTTPRequestHeadParser.Limits(requestLineBytes: 4096, headBytes: 1 << 16, fields: 64)
private let context = HTTPForwardingContext(clientAddress: "2001:db8::1", proto: "https", listenerPort: 443, generatedRequestID: "fuzz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    // The first byte says where the reads split the rest: 255 is a byte at a time.
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let pieces = data[0] == 255 ? Array(0...input.count) : [0, input.count * Int(data[0]) / 255, input.count]

    let requests = RequestReader(parser: HTTPRequestHeadParser(limits: fuzzLimits))
    check(transcript(requests, input, [0, input.count]) == transcript(requests, input, pieces), "requests")
    let responses = ResponseReader(parser: HTTPResponseHeadParser(limits: fuzzLimits))
    check(transcript(responses, input, [0, input.count]) == transcript(responses, input, pieces), "responses")
    let chunks = ChunkReader(scanner: HTTPChunkedBodyScanner())
    check(transcript(chunks, input, [0, input.count]) == transcript(chunks, input, pieces), "chunked body")
    return 0
}

private func check(_ condition: Bool, _ what: String) {
    if !condition { fatalError("\(what): split reads disagree with one read, or a forwarded head does not parse alike") }
}

/// One of the codec's readers, driven as a connection drives it.
private protocol Reader {
    /// What the reader made of the start of `bytes`: nothing yet, something and how many
    /// bytes it took, or a refusal, which is final.
    mutating func read(_ bytes: UnsafeRawBufferPointer) -> (event: String?, consumed: Int?)
}

/// Every event `reader` reports over `input` read in the pieces between `bounds`, each with
/// the offset in `input` where it ended.
private func transcript(_ reader: some Reader, _ input: UnsafeRawBufferPointer, _ bounds: [Int]) -> [String] {
    var reader = reader
    var events: [String] = []
    for (start, end) in zip(bounds, bounds.dropFirst()) {
        var offset = start
        while offset < end {
            let (event, consumed) = reader.read(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            guard let event else { break }
            guard let consumed else { return events + [event] }
            offset += consumed
            events.append("\(event) at \(offset)")
        }
    }
    return events
}

private struct RequestReader: Reader {
    var parser: HTTPRequestHeadParser

    mutating func read(_ bytes: UnsafeRawBufferPointer) -> (event: String?, consumed: Int?) {
        switch parser.feed(bytes) {
        case .needMore: (nil, nil)
        case .complete(let head, let consumed): (forwardedAlike(head), consumed)
        case .invalid(let error, let status): ("\(error) \(status)", nil)
        }
    }

    /// The head's description, once its forwarded head is known to parse to the same request.
    private func forwardedAlike(_ head: HTTPRequestHead) -> String {
        var tunnel = context
        tunnel.tunnel = head.upgradeRequested
        var again = HTTPRequestHeadParser(limits: roomyLimits)
        let forwarded = head.forwardedHead(tunnel)
        guard case .complete(let parsed, let consumed) = forwarded.withUnsafeBytes({ again.feed($0) }) else {
            fatalError("forwarded request does not parse: \(head)")
        }
        check(consumed == forwarded.count && parsed.framing == head.framing && parsed.method == head.method, "forwarded request")
        check(parsed.target[...] == head.originFormTarget && parsed.routingHost == head.routingHost, "forwarded request")
        return "\(head) \(head.expectsContinue) \(head.keepsAlive)"
    }
}

private struct ResponseReader: Reader {
    var parser: HTTPResponseHeadParser

    mutating func read(_ bytes: UnsafeRawBufferPointer) -> (event: String?, consumed: Int?) {
        switch parser.feed(bytes) {
        case .needMore: (nil, nil)
        case .complete(let head, let consumed): (forwardedAlike(head), consumed)
        case .invalid(let error): ("\(error)", nil)
        }
    }

    /// The head's description, once its forwarded head is known to parse to the same status
    /// and framing.
    private func forwardedAlike(_ head: HTTPResponseHead) -> String {
        var again = HTTPResponseHeadParser()
        let forwarded = head.forwardedHead(clientVersion: .http10, closing: !head.keepsAlive)
        guard case .complete(let parsed, let consumed) = forwarded.withUnsafeBytes({ again.feed($0) }) else {
            fatalError("forwarded response does not parse: \(head)")
        }
        check(consumed == forwarded.count && parsed.status == head.status, "forwarded response")
        if case .success(let framing) = head.framing(requestMethod: "GET") {
            check(parsed.framing(requestMethod: "GET") == .success(framing), "forwarded response")
        }
        return "\(head) \(head.framing(requestMethod: "GET")) \(head.framing(requestMethod: "HEAD"))"
    }
}

private struct ChunkReader: Reader {
    var scanner: HTTPChunkedBodyScanner

    mutating func read(_ bytes: UnsafeRawBufferPointer) -> (event: String?, consumed: Int?) {
        switch scanner.scan(bytes) {
        case .needMore: (nil, nil)
        case .complete(let consumed): ("body", consumed)
        case .invalid(let error): ("\(error)", nil)
        }
    }
}
