// Writes a DNS message (RFC 1035 §4.1) into one growing buffer, compressing names (§4.1.4):
// every name written remembers where each of its suffixes starts, and a later name whose
// suffix was seen before ends in a pointer to it. Pointers therefore only ever point back,
// and cutting the message's tail (truncation) never leaves one dangling.

struct MessageWriter {
    private(set) var bytes: [UInt8]
    /// Suffixes written so far: where each starts and how long it is in wire form, so that
    /// a candidate is compared only when the lengths agree.
    private var suffixes: [(offset: Int, length: Int)] = []
    /// Enough for any answer the zone gives; a message with more names compresses a little less.
    private static let maximumSuffixes = 64

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        suffixes.reserveCapacity(16)
    }

    var count: Int { bytes.count }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }
    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }
    mutating func append(_ other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other) }

    mutating func append16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func append32(_ value: UInt32) {
        append16(UInt16(truncatingIfNeeded: value >> 16))
        append16(UInt16(truncatingIfNeeded: value))
    }

    mutating func set16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Cuts the message back to `length` bytes, forgetting the names that lay beyond.
    mutating func truncate(to length: Int) {
        bytes.removeSubrange(length...)
        suffixes.removeAll { $0.offset >= length }
    }

    /// Writes the 12-byte header.
    mutating func header(id: UInt16, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16)) {
        append16(id)
        append16(flags)
        append16(counts.0)
        append16(counts.1)
        append16(counts.2)
        append16(counts.3)
    }

    /// Remembers the uncompressed name at `offset` (already written, `length` wire bytes, no
    /// pointers) so that later names can point into it: the question's name, an SRV target.
    mutating func remember(nameAt offset: Int, length: Int) {
        var position = offset
        var remaining = length
        while remaining > 1, position < bytes.count {
            rememberSuffix(at: position, length: remaining)
            let step = 1 + Int(bytes[position])
            position += step
            remaining -= step
        }
    }

    private mutating func rememberSuffix(at offset: Int, length: Int) {
        // A pointer holds 14 bits of offset.
        if offset < 0x4000, suffixes.count < Self.maximumSuffixes {
            suffixes.append((offset, length))
        }
    }

    /// Writes `name` (wire form, no pointers), compressed against the names written before.
    mutating func name(_ name: [UInt8], compress: Bool = true) {
        var position = 0
        while position < name.count {
            let length = Int(name[position])
            if length == 0 {
                bytes.append(0)
                return
            }
            let remaining = name.count - position
            if compress, let target = earlierSuffix(name, from: position, length: remaining) {
                append16(0xc000 | UInt16(target))
                return
            }
            rememberSuffix(at: bytes.count, length: remaining)
            let end = min(name.count, position + 1 + length)
            bytes.append(contentsOf: name[position..<end])
            position = end
        }
        // A name always ends in the root; an unterminated one is closed here.
        bytes.append(0)
    }

    /// Where a suffix equal to `name[from...]` (case-insensitively) was written, if anywhere.
    private func earlierSuffix(_ name: [UInt8], from start: Int, length: Int) -> Int? {
        for suffix in suffixes where suffix.length == length {
            if matches(name, from: start, at: suffix.offset) { return suffix.offset }
        }
        return nil
    }

    /// Compares `name[start...]` with the message's name at `offset`, following pointers.
    private func matches(_ name: [UInt8], from start: Int, at offset: Int) -> Bool {
        var offset = offset
        var position = start
        var hops = 0
        while offset < bytes.count, position < name.count {
            let length = Int(bytes[offset])
            if length & 0xc0 == 0xc0 {
                guard offset + 1 < bytes.count, hops < 128 else { return false }
                offset = (length & 0x3f) << 8 | Int(bytes[offset + 1])
                hops += 1
                continue
            }
            guard length == Int(name[position]) else { return false }
            if length == 0 { return true }
            guard offset + length < bytes.count, position + length < name.count else { return false }
            for index in 1...length
            where WireName.lowercased(bytes[offset + index]) != WireName.lowercased(name[position + index]) {
                return false
            }
            offset += length + 1
            position += length + 1
        }
        return false
    }
}
