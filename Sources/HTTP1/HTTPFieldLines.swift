// Field lines, as requests, responses and chunked trailers all carry them: split from a head
// already known to end in CRLF CRLF with no bare CR or LF, and each checked against
// RFC 9112 §5 and RFC 9110 §5.5. One set of rules for all three, so that a trailer cannot
// get past what a header could not.

enum HTTPFieldLines {
    /// The first line of `head` without its CRLF, and where the line after it starts; nil
    /// when the head starts with its empty line.
    static func firstLine(_ head: HTTPHeadBytes) -> (line: HTTPHeadBytes, next: Int)? {
        guard let end = lineEnd(in: head, from: head.startIndex) else { return nil }
        return (head[head.startIndex..<end], end + 2)
    }

    /// The field lines of `head` from `start` (the line after the first) to the empty line,
    /// at most `maximum` of them; the fields keep a copy of their lines' bytes. One pass,
    /// each line checked as it is found: no array of lines per head.
    static func fields(of head: HTTPHeadBytes, from start: Int, maximum: Int) -> Result<[HTTPField], HTTPParseError> {
        guard var end = lineEnd(in: head, from: start) else { return .success([]) }
        // From the first field line on: the fields' bytes, one copy shared by all of them.
        let storage = [UInt8](head[start...])
        var fields: [HTTPField] = []
        fields.reserveCapacity(min(maximum, 16))
        var lineStart = start
        while true {
            let line = head[lineStart..<end]  // without its CRLF
            // Whitespace right after the first line would fold into it, or hide a field from
            // a parser that skips the line (RFC 9112 §2.2).
            let checked = fields.isEmpty && HTTPBytes.isWhitespace(line[lineStart])
                ? .failure(.whitespaceBeforeFirstField) : check(line)
            switch checked {
            case .success(let ranges):
                guard fields.count < maximum else { return .failure(.tooManyFields) }
                fields.append(HTTPField(storage: storage, name: (ranges.name.lowerBound - start)..<(ranges.name.upperBound - start),
                                        value: (ranges.value.lowerBound - start)..<(ranges.value.upperBound - start),
                                        plainLine: ranges.plain,
                                        knownName: HTTPFieldName.of(UnsafeRawBufferPointer(rebasing: head.base[ranges.name]))))
            case .failure(let error):
                // Too many fields is what a head is refused as, whatever else is wrong with it.
                return .failure(fieldCount(of: head, from: lineStart) + fields.count > maximum ? .tooManyFields : error)
            }
            lineStart = end + 2
            guard let next = lineEnd(in: head, from: lineStart) else { return .success(fields) }
            end = next
        }
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

    /// Checks one field line, `field-name ":" OWS field-value OWS`: where its name and its
    /// value (without the OWS) are, in the indices of the buffer `line` is a slice of. A line
    /// that starts with whitespace continues the previous one (obs-fold), which RFC 9112
    /// §5.2 lets a recipient refuse, and we do.
    /// `plain` says the line is written exactly as a proxy writes a field, `name: value`
    /// with one space and nothing after the value, so that it can be copied as it is.
    static func check(_ line: HTTPHeadBytes) -> Result<(name: Range<Int>, value: Range<Int>, plain: Bool), HTTPParseError> {
        // The checks below look at every byte of every field: over the buffer itself, not a
        // slice of it, whose every access is range-checked, and in one pass for a valid line
        // (a token up to the colon, then value characters); a line that fails is looked at
        // again by `refusal` to say which rule it broke.
        let bytes = UnsafeRawBufferPointer(rebasing: line)
        let count = bytes.count
        let colon = HTTPBytes.tokenEnd(in: bytes)
        guard colon > 0, colon < count, bytes[colon] == HTTPBytes.colon else { return .failure(refusal(bytes)) }
        var valueStart = colon + 1
        var valueEnd = count
        // The name and the colon before the value are allowed value bytes: the value's last
        // word may take them in.
        guard HTTPBytes.areFieldValueBytes(bytes, from: valueStart) else { return .failure(.invalidFieldValue) }
        while valueStart < valueEnd, HTTPBytes.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, HTTPBytes.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let offset = line.startIndex
        let plain = valueStart == colon + 2 && bytes[colon + 1] == HTTPBytes.space && valueEnd == count
        return .success((name: offset..<(offset + colon), value: (offset + valueStart)..<(offset + valueEnd), plain: plain))
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
