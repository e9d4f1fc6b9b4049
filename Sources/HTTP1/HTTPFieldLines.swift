// Field lines, as requests, responses and chunked trailers all carry them: split from a head
// already known to end in CRLF CRLF with no bare CR or LF, and each checked against
// RFC 9112 §5 and RFC 9110 §5.5. One set of rules for all three, so that a trailer cannot
// get past what a header could not.

enum HTTPFieldLines {
    /// The lines of `head` without their CRLF: the first line, then the field lines. The
    /// empty line that ends the head is left out.
    static func lines(_ head: HTTPHeadBytes) -> [HTTPHeadBytes] {
        var lines: [HTTPHeadBytes] = []
        lines.reserveCapacity(16)
        var start = head.startIndex
        // The buffer up to the head's end, in the same indices.
        let bytes = UnsafeRawBufferPointer(rebasing: head.base[..<head.endIndex])
        while let lf = HTTPBytes.firstIndex(of: HTTPBytes.lf, in: bytes, from: start) {
            let line = head[start..<(lf - 1)]  // without its CR
            if line.isEmpty { break }  // the empty line that ends the head
            lines.append(line)
            start = lf + 1
        }
        return lines
    }

    /// The field lines after a head's first line, at most `maximum` of them; `head` is the
    /// whole head they are lines of, whose bytes the fields keep a copy of.
    static func fields(_ lines: ArraySlice<HTTPHeadBytes>, of head: HTTPHeadBytes, maximum: Int) -> Result<[HTTPField], HTTPParseError> {
        guard lines.count <= maximum else { return .failure(.tooManyFields) }
        // Whitespace right after the first line would fold into it, or hide a field from
        // a parser that skips the line (RFC 9112 §2.2).
        if let first = lines.first?.first, HTTPBytes.isWhitespace(first) { return .failure(.whitespaceBeforeFirstField) }
        guard let firstLine = lines.first else { return .success([]) }
        // From the first field line on: the fields' bytes, one copy shared by all of them.
        let base = firstLine.startIndex
        let storage = [UInt8](head[base...])
        var fields: [HTTPField] = []
        fields.reserveCapacity(lines.count)
        for line in lines {
            switch check(line) {
            case .success(let ranges):
                fields.append(HTTPField(storage: storage, name: (ranges.name.lowerBound - base)..<(ranges.name.upperBound - base),
                                        value: (ranges.value.lowerBound - base)..<(ranges.value.upperBound - base)))
            case .failure(let error):
                return .failure(error)
            }
        }
        return .success(fields)
    }

    /// Checks one field line, `field-name ":" OWS field-value OWS`: where its name and its
    /// value (without the OWS) are, in the indices of the buffer `line` is a slice of. A line
    /// that starts with whitespace continues the previous one (obs-fold), which RFC 9112
    /// §5.2 lets a recipient refuse, and we do.
    static func check(_ line: HTTPHeadBytes) -> Result<(name: Range<Int>, value: Range<Int>), HTTPParseError> {
        // The checks below look at every byte of every field: over the buffer itself, not a
        // slice of it, whose every access is range-checked, and in one pass for a valid line
        // (a token up to the colon, then value characters); a line that fails is looked at
        // again by `refusal` to say which rule it broke.
        let bytes = UnsafeRawBufferPointer(rebasing: line)
        let count = bytes.count
        var colon = 0
        while colon < count, HTTPBytes.isTokenCharacter(bytes[colon]) { colon += 1 }
        guard colon > 0, colon < count, bytes[colon] == HTTPBytes.colon else { return .failure(refusal(bytes)) }
        var valueStart = colon + 1
        var valueEnd = count
        guard HTTPBytes.areFieldValueBytes(UnsafeRawBufferPointer(rebasing: bytes[valueStart...])) else {
            return .failure(.invalidFieldValue)
        }
        while valueStart < valueEnd, HTTPBytes.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, HTTPBytes.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let offset = line.startIndex
        return .success((name: offset..<(offset + colon), value: (offset + valueStart)..<(offset + valueEnd)))
    }

    /// Why a field line whose name is not a token ended by a colon is refused, by the first
    /// of these rules it breaks, in this order.
    private static func refusal(_ bytes: UnsafeRawBufferPointer) -> HTTPParseError {
        if let first = bytes.first, HTTPBytes.isWhitespace(first) { return .obsoleteLineFolding }
        guard let colon = bytes.firstIndex(of: HTTPBytes.colon) else { return .missingColon }
        if colon > 0, HTTPBytes.isWhitespace(bytes[colon - 1]) { return .whitespaceBeforeColon }
        return .invalidFieldName
    }
}
