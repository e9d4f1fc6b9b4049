// Field lines, as requests, responses and chunked trailers all carry them: split from a head
// already known to end in CRLF CRLF with no bare CR or LF, and each checked against
// RFC 9112 §5 and RFC 9110 §5.5. One set of rules for all three (`scan`), so that a trailer
// cannot get past what a header could not.

enum HTTPFieldLines {
    /// The first line of `head` without its CRLF, and where the line after it starts; nil
    /// when the head starts with its empty line.
    static func firstLine(_ head: HTTPHeadBytes) -> (line: HTTPHeadBytes, next: Int)? {
        guard let end = lineEnd(in: head, from: head.startIndex) else { return nil }
        return (head[head.startIndex..<end], end + 2)
    }

    /// The field lines of `head` from `start` (the line after the first) to the empty line,
    /// at most `maximum` of them; the fields keep a copy of their lines' bytes. One pass over
    /// the bytes: each line is checked as it is read, and its end is where its value ends
    /// (the CR, the first byte no value may hold), not searched for first.
    static func fields(of head: HTTPHeadBytes, from start: Int, maximum: Int) -> Result<[HTTPField], HTTPParseError> {
        // The whole buffer to the head's end, in the head's indices.
        let bytes = UnsafeRawBufferPointer(rebasing: head.base[..<head.endIndex])
        guard start < bytes.count, bytes[start] != HTTPBytes.cr else { return .success([]) }
        // From the first field line on: the fields' bytes, one copy shared by all of them.
        let storage = [UInt8](head[start...])
        var fields: [HTTPField] = []
        fields.reserveCapacity(min(maximum, 16))
        var lineStart = start
        var line = ScannedLine()
        repeat {
            // Whitespace right after the first line would fold into it, or hide a field from
            // a parser that skips the line (RFC 9112 §2.2).
            var error = fields.isEmpty && HTTPBytes.isWhitespace(bytes[lineStart])
                ? .whitespaceBeforeFirstField : scan(bytes, from: lineStart, into: &line)
            // The value ends at a byte no value may hold: the line's CRLF, or a byte refused.
            // (The accumulator has refused any CR without its LF already; a line is not
            // taken to end at one all the same.)
            if error == nil, line.end + 1 >= bytes.count || bytes[line.end] != HTTPBytes.cr || bytes[line.end + 1] != HTTPBytes.lf {
                error = .invalidFieldValue
            }
            if let error {
                // Too many fields is what a head is refused as, whatever else is wrong with it.
                return .failure(fieldCount(of: head, from: lineStart) + fields.count > maximum ? .tooManyFields : error)
            }
            guard fields.count < maximum else { return .failure(.tooManyFields) }
            fields.append(HTTPField(storage: storage, name: (lineStart - start)..<(line.nameEnd - start),
                                    value: (line.valueStart - start)..<(line.valueEnd - start), plainLine: line.plain,
                                    knownName: HTTPFieldName.of(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<line.nameEnd]))))
            lineStart = line.end + 2
        } while lineStart < bytes.count && bytes[lineStart] != HTTPBytes.cr
        return .success(fields)
    }

    /// How many field lines `head` holds from `start` to its empty line.
    private static func fieldCount(of head: HTTPHeadBytes, from start: Int) -> Int {
        var count = 0
        var lineStart = start
        while let end = lineEnd(in: head, from: lineStart) {
            count += 1
            lineStart = end + 2
        }
        return count
    }

    /// Where the line of `head` that starts at `start` ends (the index of its CR), or nil
    /// for the empty line that ends the head. The head's lines end in CRLF, so the LF is
    /// searched for, in the buffer up to the head's end, in the same indices.
    private static func lineEnd(in head: HTTPHeadBytes, from start: Int) -> Int? {
        let bytes = UnsafeRawBufferPointer(rebasing: head.base[..<head.endIndex])
        guard let lf = HTTPBytes.firstIndex(of: HTTPBytes.lf, in: bytes, from: start), lf - 1 > start else { return nil }
        return lf - 1
    }

    /// Checks one field line given without its CRLF (a chunked body's trailer line), by the
    /// rules of `scan`: where its name and its value (without the OWS) are, in the indices
    /// of the buffer `line` is a slice of.
    static func check(_ line: HTTPHeadBytes) -> Result<(name: Range<Int>, value: Range<Int>, plain: Bool), HTTPParseError> {
        let bytes = UnsafeRawBufferPointer(rebasing: line)
        var scanned = ScannedLine()
        if let error = scan(bytes, from: 0, into: &scanned) { return .failure(error) }
        // The line's own bytes end it; a CR inside is a byte no value may hold.
        guard scanned.end == bytes.count else { return .failure(.invalidFieldValue) }
        let offset = line.startIndex
        return .success((name: offset..<(offset + scanned.nameEnd), value: (offset + scanned.valueStart)..<(offset + scanned.valueEnd),
                         plain: scanned.plain))
    }

    /// Where the parts of a field line are, in the indices of the buffer scanned.
    private struct ScannedLine {
        var nameEnd = 0
        var valueStart = 0
        var valueEnd = 0
        /// The first byte after the value that no value may hold (a line's CR), or the
        /// buffer's end.
        var end = 0
        /// The line is written exactly as a proxy writes a field, `name: value` with one
        /// space and nothing after the value, so that it can be copied as it is.
        var plain = false
    }

    /// Reads one field line, `field-name ":" OWS field-value OWS`, from `start`: the name a
    /// token ended by a colon, then value bytes up to the first byte no value may hold,
    /// which the caller checks is the line's end. Nil when the line is good so far, else why
    /// it is refused. A line that starts with whitespace continues the previous one
    /// (obs-fold), which RFC 9112 §5.2 lets a recipient refuse, and we do. Over the buffer
    /// itself, not a slice of it, whose every access is range-checked, and eight bytes a
    /// step where it can: every byte of every field of every head passes here.
    @inline(__always)
    private static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, into line: inout ScannedLine) -> HTTPParseError? {
        let colon = HTTPBytes.tokenEnd(in: bytes, from: start)
        guard colon > start, colon < bytes.count, bytes[colon] == HTTPBytes.colon else { return refusal(bytes, from: start) }
        let end = HTTPBytes.fieldValueEnd(in: bytes, from: colon + 1)
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd, HTTPBytes.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, HTTPBytes.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        line.nameEnd = colon
        line.valueStart = valueStart
        line.valueEnd = valueEnd
        line.end = end
        line.plain = valueStart == colon + 2 && bytes[colon + 1] == HTTPBytes.space && valueEnd == end
        return nil
    }

    /// Why a field line from `start` whose name is not a token ended by a colon is refused,
    /// by the first of these rules it breaks, in this order. The line ends at the first CR
    /// or LF (a trailer line is given without them).
    private static func refusal(_ bytes: UnsafeRawBufferPointer, from start: Int) -> HTTPParseError {
        var end = start
        while end < bytes.count, bytes[end] != HTTPBytes.cr, bytes[end] != HTTPBytes.lf { end += 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if let first = line.first, HTTPBytes.isWhitespace(first) { return .obsoleteLineFolding }
        guard let colon = line.firstIndex(of: HTTPBytes.colon) else { return .missingColon }
        if colon > 0, HTTPBytes.isWhitespace(line[colon - 1]) { return .whitespaceBeforeColon }
        return .invalidFieldName
    }
}
