// Collects one message head up to its empty line, for the request and the response parser
// alike: the bytes of a line up to its CR in one step, line ends one byte at a time (the
// CRLF of a line with bytes in it in one step when both have come). It checks line endings
// as they arrive, so a bare CR or LF is refused at once rather than when a limit runs out,
// and it counts the first line and the whole head against their limits as they grow: a
// too-long request line is known, and answered with 414, at its limit's next byte, not when
// the head's limit is reached.

struct HTTPHeadAccumulator: Sendable {
    private enum Step {
        case needMore
        /// The empty line arrived: the whole head, ending in CRLF CRLF, is `head` and the
        /// feed's run, or the feed's run alone when the head came in one feed.
        case ended
        case invalid(HTTPParseError)
    }

    let limits: HTTPRequestHeadParser.Limits
    /// What a first line past `requestLineBytes` is refused as: 414 for a request line, a
    /// plain oversized head for a status line.
    let firstLineTooLong: HTTPParseError
    private var head: [UInt8] = []
    /// Bytes of the head taken so far: those in `head`, and those of the current feed not
    /// yet copied there (copied in one run when the feed ends without the head's end; a head
    /// that ends in the feed it started in is never copied here).
    private var headCount = 0
    /// The last byte taken was a CR, whose LF is still due.
    private var pendingCR = false
    /// Bytes of the current line before its CR.
    private var lineLength = 0
    /// The first line's LF has been taken.
    private var firstLineEnded = false
    /// Empty lines taken before the first line.
    private var skippedLineBreaks = 0
    private var failure: HTTPParseError?

    init(limits: HTTPRequestHeadParser.Limits, firstLineTooLong: HTTPParseError) {
        self.limits = limits
        self.firstLineTooLong = firstLineTooLong
    }

    /// Ready for the next head, with the same limits.
    private mutating func reset() {
        self = HTTPHeadAccumulator(limits: limits, firstLineTooLong: firstLineTooLong)
    }

    enum Fed<Head> {
        case needMore
        /// The head ended `consumed` bytes into the buffer, and parsed.
        case complete(Head, consumed: Int)
        /// Now or earlier: once refused, refused for good, as the connection is closed.
        case invalid(HTTPParseError)
    }

    /// Takes bytes up to the head's end or its first error, and parses a complete head with
    /// `parse`; what follows the head is not looked at. After a head, it is ready for the next.
    mutating func feed<Head>(_ bytes: UnsafeRawBufferPointer,
                             parse: (HTTPHeadBytes) -> Result<Head, HTTPParseError>) -> Fed<Head> {
        if let failure { return .invalid(failure) }
        if headCount == 0, skippedLineBreaks == 0, !pendingCR, let (parsed, end) = Self.wholeHead(bytes, limits: limits, parse: parse) {
            return .complete(parsed, consumed: end)
        }
        // Where this feed's part of the head starts; nil while only empty lines before the
        // first line have come (those are not part of it).
        var runStart: Int? = headCount > 0 ? 0 : nil
        var index = bytes.startIndex
        while index < bytes.endIndex {
            // Inside a line, the bytes up to its CR are taken in one step: a head is mostly
            // such runs, and taking them a byte at a time was most of a request's parsing.
            if headCount > 0, !pendingCR {
                let run = Self.ordinaryRun(bytes, from: index)
                if run > 0 {
                    if let error = takeOrdinary(run) { return refuse(error) }
                    index += run
                    // The CRLF that ends a line that is not the last (empty) one, in one
                    // step rather than through `take` a byte at a time.
                    if index + 1 < bytes.endIndex, bytes[index] == HTTPBytes.cr, bytes[index + 1] == HTTPBytes.lf,
                       headCount + 2 <= limits.headBytes {
                        headCount += 2
                        lineLength = 0
                        firstLineEnded = true
                        index += 2
                    }
                    continue
                }
            }
            let position = index
            index += 1
            let started = headCount > 0
            switch take(bytes[position]) {
            case .needMore:
                if !started, headCount > 0 { runStart = position }
                continue
            case .ended:
                let result: Result<Head, HTTPParseError>
                if head.isEmpty {
                    // The whole head came in this feed: parsed where it lies, not copied first.
                    result = parse(bytes[(runStart ?? position)...position])
                } else {
                    head.append(contentsOf: bytes[(runStart ?? position)...position])
                    result = head.withUnsafeBytes { parse($0[...]) }
                }
                reset()
                switch result {
                case .success(let parsed): return .complete(parsed, consumed: index)
                case .failure(let error): return refuse(error)
                }
            case .invalid(let error):
                return refuse(error)
            }
        }
        if let runStart { head.append(contentsOf: bytes[runStart...]) }
        return .needMore
    }

    /// A head that came whole at the start of `bytes`, within the limits and every line of
    /// it ending in CRLF, parsed where it lies, and where it ends; nil for anything else (a
    /// head not yet complete, empty lines before it, a bare LF, a limit passed, a head the
    /// parser refuses), which the steps above then take from the start, to wait for more or
    /// to refuse it as they always have. Most heads come whole in one read, and one search
    /// for each line's LF is all this takes of them: the parser reads every line up to the
    /// empty one and allows no CR in a start line or a field line but the CRLF that ends it,
    /// so only a line that starts with a CR is for this to turn away.
    private static func wholeHead<Head>(_ bytes: UnsafeRawBufferPointer, limits: HTTPRequestHeadParser.Limits,
                                        parse: (HTTPHeadBytes) -> Result<Head, HTTPParseError>) -> (Head, Int)? {
        guard let first = bytes.first, first != HTTPBytes.cr, first != HTTPBytes.lf else { return nil }
        var lineStart = 0
        var lineLimit = limits.requestLineBytes
        while let lf = HTTPBytes.firstIndex(of: HTTPBytes.lf, in: bytes, from: lineStart) {
            let end = lf + 1
            guard lf > lineStart, bytes[lf - 1] == HTTPBytes.cr, lf - 1 - lineStart <= lineLimit, end <= limits.headBytes else { return nil }
            if lf - 1 == lineStart {
                guard case .success(let head) = parse(bytes[..<end]) else { return nil }
                return (head, end)
            }
            // The parser takes a line that starts with a CR for the empty one: here it
            // would end the head early.
            guard bytes[lineStart] != HTTPBytes.cr else { return nil }
            lineStart = end
            lineLimit = .max
        }
        return nil
    }

    private mutating func refuse<Head>(_ error: HTTPParseError) -> Fed<Head> {
        reset()
        failure = error
        return .invalid(error)
    }

    /// Takes one byte of the head.
    private mutating func take(_ byte: UInt8) -> Step {
        if pendingCR {
            guard byte == HTTPBytes.lf else { return .invalid(.bareCarriageReturn) }
            pendingCR = false
            defer { lineLength = 0 }
            if headCount == 0 { return .needMore }  // an empty line before the first line (RFC 9112 §2.2)
            defer { firstLineEnded = true }
            return count(byte) ?? (lineLength == 0 ? .ended : .needMore)
        }
        if byte == HTTPBytes.lf { return .invalid(.bareLineFeed) }
        if byte == HTTPBytes.cr {
            pendingCR = true
            if headCount == 0 {
                skippedLineBreaks += 1  // counted against the limit, so they cannot go on forever
                return skippedLineBreaks > limits.headBytes ? .invalid(.headTooLarge) : .needMore
            }
        } else {
            lineLength += 1
            if !firstLineEnded, lineLength > limits.requestLineBytes { return .invalid(firstLineTooLong) }
        }
        return count(byte) ?? .needMore
    }

    /// How many bytes from `start` on are neither CR nor LF.
    private static func ordinaryRun(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let cr = HTTPBytes.firstIndex(of: HTTPBytes.cr, in: bytes, from: start) ?? bytes.count
        // A bare LF before the CR ends the run too (and is refused by `take`).
        let lf = HTTPBytes.firstIndex(of: HTTPBytes.lf, in: UnsafeRawBufferPointer(rebasing: bytes[..<cr]), from: start) ?? cr
        return lf - start
    }

    /// Takes `run` bytes that are neither CR nor LF, inside a line of the head that has
    /// started, as `take` would one by one; the refusal `take` would give at the first
    /// byte past a limit.
    private mutating func takeOrdinary(_ run: Int) -> HTTPParseError? {
        let lineRoom = firstLineEnded ? Int.max : limits.requestLineBytes - lineLength
        let headRoom = limits.headBytes - headCount
        // Past either limit: a first line is refused as such whichever trips first, and
        // only a field line's bytes can make the head, not the line, too long.
        if run > lineRoom || run > headRoom { return firstLineEnded ? .headTooLarge : firstLineTooLong }
        lineLength += run
        headCount += run
        return nil
    }

    /// Counts `byte` as part of the head; the refusal if that makes the head too long.
    private mutating func count(_ byte: UInt8) -> Step? {
        headCount += 1
        guard headCount > limits.headBytes else { return nil }
        return .invalid(firstLineEnded ? .headTooLarge : firstLineTooLong)
    }
}
