// The first line of a head: a request's `method SP request-target SP HTTP-version`
// (RFC 9112 §3) or a response's `HTTP-version SP status-code SP [reason-phrase]` (§4), with
// the version rule both share. Single spaces, nothing else: a parser that allowed more would
// read some lines differently from one that did not.

enum HTTPStartLines {
    /// `method SP request-target SP HTTP-version`; the target's form is checked against the
    /// method by HTTPRequestTarget.
    static func requestLine(_ line: HTTPHeadBytes)
        -> Result<(method: String, target: String, version: HTTPVersion), HTTPParseError>
    {
        // Exactly two spaces, found in place (no array of parts per request).
        let bytes = UnsafeRawBufferPointer(rebasing: line)
        guard let firstSpace = space(in: bytes, from: 0), let secondSpace = space(in: bytes, from: firstSpace + 1),
              space(in: bytes, from: secondSpace + 1) == nil else { return .failure(.malformedRequestLine) }
        let (methodEnd, targetEnd) = (line.startIndex + firstSpace, line.startIndex + secondSpace)
        let methodBytes = line[..<methodEnd], targetBytes = line[(methodEnd + 1)..<targetEnd]
        guard HTTPBytes.isToken(methodBytes) else { return .failure(.invalidMethod) }
        let method = String(decoding: methodBytes, as: UTF8.self)
        guard HTTPRequestTarget.isAcceptable(targetBytes, method: method) else { return .failure(.invalidTarget) }
        return version(line[(targetEnd + 1)...]).map { version in
            (method, String(decoding: targetBytes, as: UTF8.self), version)
        }
    }

    /// `HTTP/1.x SP 3DIGIT SP reason`; like llhttp, the SP and reason may be left out
    /// altogether (`HTTP/1.1 200`), as some servers do. The reason holds no control
    /// characters (RFC 9112 §4: HTAB, SP, VCHAR, obs-text).
    static func statusLine(_ line: HTTPHeadBytes)
        -> Result<(version: HTTPVersion, status: Int, reason: String), HTTPParseError>
    {
        guard line.count >= 12, let found = space(in: UnsafeRawBufferPointer(rebasing: line), from: 0) else {
            return .failure(.invalidStatusLine)
        }
        let versionEnd = line.startIndex + found
        let parsedVersion: HTTPVersion
        switch version(line[..<versionEnd]) {
        case .success(let version): parsedVersion = version
        case .failure(let error): return .failure(error)
        }
        let code = line[(versionEnd + 1)...].prefix(3)
        guard code.count == 3, code.allSatisfy(HTTPBytes.isDigit), code.first != UInt8(ascii: "0") else {
            return .failure(.invalidStatusLine)
        }
        let status = code.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        let rest = line[code.endIndex...]
        guard rest.isEmpty || rest.first == HTTPBytes.space else { return .failure(.invalidStatusLine) }
        let reason = rest.dropFirst()
        guard reason.allSatisfy(HTTPBytes.isFieldValueCharacter) else { return .failure(.invalidStatusLine) }
        return .success((parsedVersion, status, String(decoding: reason, as: UTF8.self)))
    }

    /// The index of the first space in `bytes` from `start`: a plain loop over the buffer,
    /// where a slice's `firstIndex(of:)` cost twice as much for a start line's few dozen bytes.
    private static func space(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == HTTPBytes.space { return index }
            index += 1
        }
        return nil
    }

    /// `HTTP/DIGIT.DIGIT`, case-sensitive (RFC 9112 §2.3); only 1.0 and 1.1 are spoken.
    static func version(_ bytes: HTTPHeadBytes) -> Result<HTTPVersion, HTTPParseError> {
        guard bytes.count == 8 else { return .failure(.malformedVersion) }
        let start = bytes.startIndex
        // Byte by byte: a generic starts(with:) over a String's UTF-8 cost 600 instructions.
        guard bytes[start] == UInt8(ascii: "H"), bytes[start + 1] == UInt8(ascii: "T"), bytes[start + 2] == UInt8(ascii: "T"),
              bytes[start + 3] == UInt8(ascii: "P"), bytes[start + 4] == UInt8(ascii: "/") else { return .failure(.malformedVersion) }
        let major = bytes[start + 5], dot = bytes[start + 6], minor = bytes[start + 7]
        guard HTTPBytes.isDigit(major), dot == UInt8(ascii: "."), HTTPBytes.isDigit(minor) else { return .failure(.malformedVersion) }
        let version = HTTPVersion(major: Int(major - 48), minor: Int(minor - 48))
        return version == .http10 || version == .http11 ? .success(version) : .failure(.unsupportedVersion)
    }
}
