// Finds where a chunked body ends (RFC 9112 §7.1) without decoding it: the proxy forwards
// the body byte for byte, but must know where the next message starts and must refuse any
// framing that another parser could read differently, since that is how a request is
// smuggled. Strict as llhttp's strict mode, and stricter where llhttp is lenient: CRLF only,
// 1 to 16 hex digits, no whitespace in a chunk header, extensions `;name[=token|"quoted"]`,
// trailer fields checked as header fields are. It is called on every read of a body, so
// chunk data is skipped in one step and only the few framing bytes are looked at one by one.
// A client that wants the data (the API client) has it handed over as it is skipped.

public enum HTTPChunkScan: Sendable, Hashable {
    /// Every byte given belongs to the body; more is due.
    case needMore
    /// The body (last chunk, trailers, final CRLF) ended `bytesConsumed` bytes into the
    /// buffer; the bytes after it are the next message's.
    case complete(bytesConsumed: Int)
    /// The framing breaks a rule: the connection is to be closed.
    case invalid(HTTPParseError)
}

public struct HTTPChunkedBodyScanner: Sendable {
    /// A chunk header line longer than this is refused: llhttp takes extensions of any
    /// length, but nothing legitimate needs more, and a bound keeps a peer from sending
    /// framing bytes forever.
    static let maximumChunkHeaderBytes = 4096
    /// The trailer section's bound, its CRLFs included.
    static let maximumTrailerBytes = 8192

    private enum State: Sendable, Hashable {
        /// Reading the chunk-size's hex digits.
        case size
        /// After `;`: an extension name is due.
        case extensionStart
        case extensionName
        /// After `=`: a token or a quoted-string is due.
        case extensionValueStart
        case tokenValue
        case quotedValue
        /// After a backslash inside a quoted-string.
        case quotedPair
        case quotedValueEnded
        /// The chunk header's CR arrived; its LF is due.
        case headerLF
        /// `remaining` bytes of chunk data are due.
        case data
        case dataCR
        case dataLF
        /// At the start of a trailer line, or of the final empty line.
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
        case failed(HTTPParseError)
    }

    private var state = State.size
    private var digits = 0
    /// The chunk-size while it is read, then the chunk's data bytes still due.
    private var remaining: UInt64 = 0
    private var headerBytes = 0
    /// The trailer line being read, checked when its CRLF arrives.
    private var trailerLine: [UInt8] = []
    private var trailerBytes = 0

    public init() {}

    /// Scans the next bytes of the body. After `.complete`, the scanner is ready for the
    /// next chunked body; after `.invalid`, it stays invalid.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> HTTPChunkScan {
        decode(bytes) { _ in }
    }

    /// As `scan`, handing each run of chunk data to `data` as it passes: the API client
    /// reads a watch's chunked body this way, event by event, with the proxy's framing rules.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, data: (UnsafeRawBufferPointer) -> Void) -> HTTPChunkScan {
        if case .failed(let error) = state { return .invalid(error) }
        var index = 0
        while index < bytes.count {
            if state == .data {
                let skipped = Int(min(UInt64(bytes.count - index), remaining))
                data(UnsafeRawBufferPointer(rebasing: bytes[index..<index + skipped]))
                index += skipped
                remaining -= UInt64(skipped)
                if remaining == 0 { state = .dataCR }
                continue
            }
            let byte = bytes[index]
            index += 1
            switch step(byte) {
            case .more:
                continue
            case .ended:
                self = HTTPChunkedBodyScanner()
                return .complete(bytesConsumed: index)
            case .failed(let error):
                state = .failed(error)
                return .invalid(error)
            }
        }
        return .needMore
    }

    private enum Outcome {
        case more
        case ended
        case failed(HTTPParseError)
    }

    /// One framing byte.
    private mutating func step(_ byte: UInt8) -> Outcome {
        switch state {
        case .size, .extensionStart, .extensionName, .extensionValueStart, .tokenValue, .quotedValue, .quotedPair,
             .quotedValueEnded:
            headerBytes += 1
            guard headerBytes <= Self.maximumChunkHeaderBytes else { return .failed(.invalidChunkExtension) }
            return chunkHeader(byte)
        case .headerLF:
            guard byte == HTTPBytes.lf else { return .failed(.bareCarriageReturn) }
            state = remaining == 0 ? .trailerLineStart : .data
            return .more
        case .data:
            return .more  // skipped in bulk by scan(_:), never one byte at a time
        case .dataCR:
            guard byte == HTTPBytes.cr else { return .failed(.missingChunkTerminator) }
            state = .dataLF
            return .more
        case .dataLF:
            guard byte == HTTPBytes.lf else { return .failed(.missingChunkTerminator) }
            (state, digits, headerBytes) = (.size, 0, 0)
            return .more
        case .trailerLineStart, .trailerLine, .trailerLF, .finalLF:
            trailerBytes += 1
            guard trailerBytes <= Self.maximumTrailerBytes else { return .failed(.trailersTooLarge) }
            return trailer(byte)
        case .failed(let error):
            return .failed(error)
        }
    }

    /// `chunk-size [chunk-ext] CRLF`, without whitespace anywhere (llhttp's strict mode
    /// refuses the BWS that RFC 9112 §7.1.1 tolerates; so do we).
    private mutating func chunkHeader(_ byte: UInt8) -> Outcome {
        switch (state, byte) {
        case (.size, _) where HTTPBytes.hexValue(byte) != nil:
            digits += 1
            guard digits <= 16, let value = HTTPBytes.hexValue(byte) else { return .failed(.invalidChunkSize) }
            remaining = remaining << 4 | UInt64(value)
        case (.size, HTTPBytes.cr), (.size, HTTPBytes.semicolon), (.size, HTTPBytes.lf):
            guard digits > 0 else { return .failed(.invalidChunkSize) }
            return endOfHeaderElement(byte) ?? .more
        case (.size, _):
            return .failed(.invalidChunkSize)
        case (.extensionStart, _) where HTTPBytes.isTokenCharacter(byte):
            state = .extensionName
        case (.extensionName, _) where HTTPBytes.isTokenCharacter(byte):
            break
        case (.extensionName, HTTPBytes.equals):
            state = .extensionValueStart
        case (.extensionValueStart, HTTPBytes.quote):
            state = .quotedValue
        case (.extensionValueStart, _) where HTTPBytes.isTokenCharacter(byte):
            state = .tokenValue
        case (.tokenValue, _) where HTTPBytes.isTokenCharacter(byte):
            break
        case (.quotedValue, HTTPBytes.quote):
            state = .quotedValueEnded
        case (.quotedValue, HTTPBytes.backslash):
            state = .quotedPair
        case (.quotedValue, _) where HTTPBytes.isFieldValueCharacter(byte):
            break  // qdtext: HTAB, SP, VCHAR but the quote and backslash, obs-text
        case (.quotedPair, _) where HTTPBytes.isFieldValueCharacter(byte):
            state = .quotedValue
        case (.extensionName, _), (.tokenValue, _), (.quotedValueEnded, _):
            return endOfHeaderElement(byte) ?? .failed(.invalidChunkExtension)
        default:
            return .failed(.invalidChunkExtension)
        }
        return .more
    }

    /// After a size, a name or a value: `;` starts another extension, CR ends the line.
    private mutating func endOfHeaderElement(_ byte: UInt8) -> Outcome? {
        switch byte {
        case HTTPBytes.semicolon: state = .extensionStart
        case HTTPBytes.cr: state = .headerLF
        case HTTPBytes.lf: return .failed(.bareLineFeed)
        default: return nil
        }
        return .more
    }

    /// `*( field-line CRLF ) CRLF` after the last chunk (RFC 9112 §7.1.2).
    private mutating func trailer(_ byte: UInt8) -> Outcome {
        switch (state, byte) {
        case (.trailerLineStart, HTTPBytes.cr):
            state = .finalLF
        case (.trailerLineStart, HTTPBytes.lf), (.trailerLine, HTTPBytes.lf):
            return .failed(.bareLineFeed)
        case (.trailerLine, HTTPBytes.cr):
            state = .trailerLF
        case (.trailerLineStart, _), (.trailerLine, _):
            trailerLine.append(byte)
            state = .trailerLine
        case (.trailerLF, HTTPBytes.lf):
            if case .failure(let error) = trailerLine.withUnsafeBytes({ HTTPFieldLines.check($0[...]) }) { return .failed(error) }
            trailerLine.removeAll(keepingCapacity: true)
            state = .trailerLineStart
        case (.finalLF, HTTPBytes.lf):
            return .ended
        default:
            return .failed(.bareCarriageReturn)
        }
        return .more
    }
}
