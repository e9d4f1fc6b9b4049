// Feeding helpers shared by the suites: every parser and the scanner, fed a buffer whole or
// cut at given points, giving the list of results a connection would see.
import HTTP1

/// What a connection sees from a request parser fed `bytes` in `pieces`: each complete head
/// with the offset in the whole input where it ended, then a refusal or nothing.
func requestEvents(_ bytes: [UInt8], cuts: [Int] = [], limits: HTTPRequestHeadParser.Limits = .init()) -> [String] {
    var parser = HTTPRequestHeadParser(limits: limits)
    return events(bytes, cuts: cuts) { piece in
        switch parser.feed(piece) {
        case .needMore: return (nil, nil)
        case .complete(let head, let consumed): return ("\(head.method) \(head.target) \(head.fields.count)", consumed)
        case .invalid(let error, let status): return ("invalid \(error) \(status.code)", nil)
        }
    }
}

func responseEvents(_ bytes: [UInt8], cuts: [Int] = []) -> [String] {
    var parser = HTTPResponseHeadParser()
    return events(bytes, cuts: cuts) { piece in
        switch parser.feed(piece) {
        case .needMore: return (nil, nil)
        case .complete(let head, let consumed): return ("\(head.status) \(head.reason) \(head.fields.count)", consumed)
        case .invalid(let error): return ("invalid \(error)", nil)
        }
    }
}

func chunkEvents(_ bytes: [UInt8], cuts: [Int] = []) -> [String] {
    var scanner = HTTPChunkedBodyScanner()
    return events(bytes, cuts: cuts) { piece in
        switch scanner.scan(piece) {
        case .needMore: return (nil, nil)
        case .complete(let consumed): return ("complete", consumed)
        case .invalid(let error): return ("invalid \(error)", nil)
        }
    }
}

/// Feeds `bytes` cut at `cuts`; `step` answers what it made of a piece (nil while it needs
/// more) and how many bytes it consumed when it completed something, after which the rest of
/// the piece is fed again. An event is named with its end offset in the whole input.
private func events(_ bytes: [UInt8], cuts: [Int],
                    step: (UnsafeRawBufferPointer) -> (event: String?, consumed: Int?)) -> [String] {
    var found: [String] = []
    let bounds = [0] + cuts.filter { $0 > 0 && $0 < bytes.count }.sorted() + [bytes.count]
    for (start, end) in zip(bounds, bounds.dropFirst()) {
        var offset = start
        while offset < end {
            let (event, consumed) = bytes[offset..<end].withUnsafeBytes { step($0) }
            guard let event else { break }
            guard let consumed else { return found + [event] }
            offset += consumed
            found.append("\(event) @\(offset)")
        }
    }
    return found
}
