// Writes a DNS message (RFC 1035 §4.1) into a fixed buffer (a DNSAnswerBuffer's), compressing
// names (§4.1.4): every name written remembers where each of its suffixes starts, and a later
// name whose suffix was seen before ends in a pointer to it. Pointers therefore only ever point
// back, and cutting the message's tail (truncation) never leaves one dangling.
//
// The buffer holds at least the response's limit. A write that does not fit is not made and
// marks the writer overflowed, and every later write is skipped too: such a message is over
// its limit whatever else it would hold, so ResponseBuilder cuts it back (which clears the
// mark) exactly as it cuts a message that fits the buffer but not the limit.

struct MessageWriter {
    /// Where a suffix starts and how long it is in wire form, so that a candidate is
    /// compared only when the lengths agree.
    struct Suffix {
        var offset: Int32
        var length: Int32
    }

    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private let suffixes: UnsafeMutablePointer<Suffix>
    private let maximumSuffixes: Int
    private(set) var count = 0
    private var suffixCount = 0
    /// A write did not fit the buffer: the message is over its limit.
    private(set) var overflowed = false

    init(storage: UnsafeMutablePointer<UInt8>, capacity: Int, suffixes: UnsafeMutablePointer<Suffix>, maximumSuffixes: Int) {
        self.storage = storage
        self.capacity = capacity
        self.suffixes = suffixes
        self.maximumSuffixes = maximumSuffixes
    }

    /// The bytes written so far.
    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Whether `size` more bytes fit; marks the writer overflowed when they do not.
    @inline(__always)
    private mutating func fits(_ size: Int) -> Bool {
        if _fastPath(!overflowed && size <= capacity - count) { return true }
        overflowed = true
        return false
    }

    mutating func append(_ byte: UInt8) {
        guard fits(1) else { return }
        storage[count] = byte
        count += 1
    }

    mutating func append(_ other: UnsafeRawBufferPointer) {
        guard let source = other.baseAddress, fits(other.count) else { return }
        UnsafeMutableRawPointer(storage + count).copyMemory(from: source, byteCount: other.count)
        count += other.count
    }

    mutating func append(_ other: [UInt8]) {
        other.withUnsafeBytes { append($0) }
    }

    mutating func append16(_ value: UInt16) {
        guard fits(2) else { return }
        storage[count] = UInt8(truncatingIfNeeded: value >> 8)
        storage[count + 1] = UInt8(truncatingIfNeeded: value)
        count += 2
    }

    mutating func append32(_ value: UInt32) {
        guard fits(4) else { return }
        storage[count] = UInt8(truncatingIfNeeded: value >> 24)
        storage[count + 1] = UInt8(truncatingIfNeeded: value >> 16)
        storage[count + 2] = UInt8(truncatingIfNeeded: value >> 8)
        storage[count + 3] = UInt8(truncatingIfNeeded: value)
        count += 4
    }

    /// Overwrites two bytes already written (a count, a length); nothing beyond them.
    mutating func set16(_ value: UInt16, at offset: Int) {
        guard offset >= 0, offset + 2 <= count else { return }
        storage[offset] = UInt8(truncatingIfNeeded: value >> 8)
        storage[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Cuts the message back to `length` bytes, forgetting the names that lay beyond; a cut
    /// below the overflow leaves a message that fits again.
    mutating func truncate(to length: Int) {
        count = min(count, length)
        overflowed = false
        var kept = 0
        for index in 0..<suffixCount where Int(suffixes[index].offset) < length {
            suffixes[kept] = suffixes[index]
            kept += 1
        }
        suffixCount = kept
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
        while remaining > 1, position < count {
            rememberSuffix(at: position, length: remaining)
            let step = 1 + Int(storage[position])
            position += step
            remaining -= step
        }
    }

    @inline(__always)
    private mutating func rememberSuffix(at offset: Int, length: Int) {
        // A pointer holds 14 bits of offset; past an overflow nothing written stays.
        if offset < 0x4000, suffixCount < maximumSuffixes, !overflowed {
            suffixes[suffixCount] = Suffix(offset: Int32(offset), length: Int32(length))
            suffixCount += 1
        }
    }

    /// Writes `name` (wire form, no pointers), compressed against the names written before.
    mutating func name(_ name: UnsafeRawBufferPointer, compress: Bool = true) {
        var position = 0
        while position < name.count {
            let length = Int(name[position])
            if length == 0 {
                append(0)
                return
            }
            let remaining = name.count - position
            if compress, let target = earlierSuffix(name, from: position, length: remaining) {
                append16(0xc000 | UInt16(target))
                return
            }
            rememberSuffix(at: count, length: remaining)
            let end = min(name.count, position + 1 + length)
            append(UnsafeRawBufferPointer(rebasing: name[position..<end]))
            position = end
        }
        // A name always ends in the root; an unterminated one is closed here.
        append(0)
    }

    mutating func name(_ name: [UInt8], compress: Bool = true) {
        name.withUnsafeBytes { self.name($0, compress: compress) }
    }

    /// Where a suffix equal to `name[from...]` (case-insensitively) was written, if anywhere.
    private func earlierSuffix(_ name: UnsafeRawBufferPointer, from start: Int, length: Int) -> Int? {
        for index in 0..<suffixCount where Int(suffixes[index].length) == length {
            let offset = Int(suffixes[index].offset)
            if matches(name, from: start, at: offset) { return offset }
        }
        return nil
    }

    /// Compares `name[start...]` with the message's name at `offset`, following pointers.
    private func matches(_ name: UnsafeRawBufferPointer, from start: Int, at offset: Int) -> Bool {
        var offset = offset
        var position = start
        var hops = 0
        while offset < count, position < name.count {
            let length = Int(storage[offset])
            if length & 0xc0 == 0xc0 {
                guard offset + 1 < count, hops < 128 else { return false }
                offset = (length & 0x3f) << 8 | Int(storage[offset + 1])
                hops += 1
                continue
            }
            guard length == Int(name[position]) else { return false }
            if length == 0 { return true }
            guard offset + length < count, position + length < name.count else { return false }
            for index in 1...length
            where WireName.lowercased(storage[offset + index]) != WireName.lowercased(name[position + index]) {
                return false
            }
            offset += length + 1
            position += length + 1
        }
        return false
    }
}
