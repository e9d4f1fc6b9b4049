// The bytes of a head as this module writes them, for the admin server's responses and for
// the heads the Ingress proxy forwards: UTF-8 written into scratch memory and copied once
// into the array that is the head, no String built per field. A value is written with a
// space in place of any CR, LF or NUL (RFC 9110 §5.5), so that nothing handed in can split
// one message into two.
import Glibc

struct HTTPHeadWriter {
    /// The scratch memory `bytes(room:_:)` lends for the length of one writing.
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0
    /// A write found no room: what was written is incomplete, and is written again with more.
    private var overflowed = false

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// The head `write` writes, with room for `room` bytes at first and twice as much again
    /// for as long as it does not fit (`write` runs once more each time, from the start).
    /// Each append is then a copy and a count: an array's `append` checked its uniqueness and
    /// capacity each time, about a hundred instructions, and a forwarded request head makes
    /// some fifty. The head is written into scratch memory and copied into an array of its
    /// size: an array made with room to write in, `Array(unsafeUninitializedCapacity:)` or
    /// `Array(repeating:count:)`, looked up the array storage's type metadata at run time,
    /// about 330 instructions per head, where a copy of a buffer into a new array does not.
    static func bytes(room: Int, _ write: (inout HTTPHeadWriter) -> Void) -> [UInt8] {
        var room = max(room, 64)
        while true {
            // malloc(3) and free(3): Swift's own allocation goes through posix_memalign(3),
            // twice the instructions for the same alignment.
            // Out of memory ends the process, as any allocation of Swift's own would.
            guard let scratch = malloc(room) else { fatalError("malloc(\(room)) failed: out of memory") }
            defer { free(scratch) }
            if let count = Self.write(into: scratch, capacity: room, write) {
                return [UInt8](UnsafeRawBufferPointer(start: scratch, count: count))
            }
            room *= 2
        }
    }

    /// Writes the head `write` writes straight into `room`, `capacity` bytes of memory the
    /// caller owns (the free end of a queue the head is to be sent from): its length, or
    /// nil when it did not fit, and what was written there is then to be ignored.
    static func write(into room: UnsafeMutableRawPointer, capacity: Int, _ write: (inout HTTPHeadWriter) -> Void) -> Int? {
        var writer = HTTPHeadWriter(base: room.bindMemory(to: UInt8.self, capacity: capacity), capacity: capacity)
        write(&writer)
        return writer.overflowed ? nil : writer.count
    }

    /// Room enough for `fields` written as they are, plus `extra` bytes of our own.
    static func capacity(for fields: [HTTPField], extra: Int) -> Int {
        fields.reduce(extra) { $0 + $1.nameCount + $1.valueCount + 4 }
    }

    /// Copies `source` in, or notes that it did not fit.
    private mutating func put(_ source: UnsafeRawBufferPointer) {
        guard !overflowed, source.count <= capacity - count else {
            overflowed = true
            return
        }
        if let from = source.baseAddress { (base + count).initialize(from: from.assumingMemoryBound(to: UInt8.self), count: source.count) }
        count += source.count
    }

    private mutating func put(_ byte: UInt8) {
        guard !overflowed, count < capacity else {
            overflowed = true
            return
        }
        (base + count).initialize(to: byte)
        count += 1
    }

    mutating func append(_ text: some StringProtocol) {
        // A native string's bytes in one copy; appending its UTF8View went byte by byte
        // through the view's iterator for a Substring (500 instructions for a short target).
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { put(UnsafeRawBufferPointer($0)) }
        if copied == nil { for byte in text.utf8 { put(byte) } }
    }

    mutating func append(bytes more: [UInt8]) {
        more.withUnsafeBytes { put($0) }
    }

    /// A number in decimal, its digits written in place, first to last (a String made for
    /// it cost 450 instructions a request for the X-Forwarded-Port alone).
    mutating func append(_ number: Int) {
        if number < 0 { put(UInt8(ascii: "-")) }
        let magnitude = number.magnitude
        var place: UInt = 1
        while place <= magnitude / 10 { place *= 10 }
        repeat {
            put(UInt8(ascii: "0") + UInt8(magnitude / place % 10))
            place /= 10
        } while place > 0
    }

    /// `name: number` CRLF, for a name of ours.
    mutating func field(_ name: StaticString, _ number: Int) {
        append(name: name)
        append(number)
        endLine()
    }

    /// Text that is not ours to trust: CR, LF and NUL become spaces.
    mutating func appendSanitized(_ text: some StringProtocol) {
        // Values the parser took never hold those bytes: copy them in one go after one look.
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { run in
            guard !run.contains(where: HTTPBytes.isLineBreakOrNul) else { return false }
            put(UnsafeRawBufferPointer(run))
            return true
        }
        guard copied != true else { return }
        for byte in text.utf8 { put(HTTPBytes.isLineBreakOrNul(byte) ? HTTPBytes.space : byte) }
    }

    mutating func endLine() {
        put(HTTPBytes.cr)
        put(HTTPBytes.lf)
    }

    /// A field as it is: its bytes hold no CR, LF or NUL (HTTPField sees to it).
    mutating func field(_ field: HTTPField) {
        nameOf(field)
        field.withValueBytes { put($0) }
        endLine()
    }

    /// What a head being forwarded does with one of the fields it was received with.
    enum Forwarding {
        case drop
        case keep
        /// The field's name with this value instead.
        case replaceValue(Substring)
    }

    /// The fields of `fields` as `decide` says, in order. Plain lines (`HTTPField.plainLine`)
    /// kept one after another are copied as one run of the received head's bytes, rather
    /// than name, separator, value and line end each.
    mutating func fields(_ fields: [HTTPField], _ decide: (HTTPField) -> Forwarding) {
        // The run being gathered: fields[runStart...runEnd], plain lines one after another
        // (any other field ends it, so runEnd is always the field before this one).
        var runStart = -1
        var runEnd = -1
        for index in fields.indices {
            let forwarding = decide(fields[index])
            if case .keep = forwarding, fields[index].plainLine {
                if runEnd >= 0, fields[runEnd].isFollowed(by: fields[index]) {
                    runEnd = index
                    continue
                }
                copyLines(fields, runStart, runEnd)
                (runStart, runEnd) = (index, index)
                continue
            }
            copyLines(fields, runStart, runEnd)
            (runStart, runEnd) = (-1, -1)
            switch forwarding {
            case .drop: break
            case .keep: field(fields[index])
            case .replaceValue(let value): field(fields[index], value: value)
            }
        }
        copyLines(fields, runStart, runEnd)
    }

    /// The lines of fields[first...last], a run of plain lines; nothing when `first` is -1.
    private mutating func copyLines(_ fields: [HTTPField], _ first: Int, _ last: Int) {
        guard first >= 0 else { return }
        fields[first].withLineBytes(through: fields[last]) { put($0) }
    }

    /// A field of `field`'s name with another value.
    mutating func field(_ field: HTTPField, value: some StringProtocol) {
        nameOf(field)
        appendSanitized(value)
        endLine()
    }

    /// `name: ` of a field.
    private mutating func nameOf(_ field: HTTPField) {
        field.withNameBytes { put($0) }
        put(HTTPBytes.colon)
        put(HTTPBytes.space)
    }

    /// `name: value` CRLF, for a name of ours.
    mutating func field(_ name: StaticString, _ value: some StringProtocol) {
        append(name: name)
        appendSanitized(value)
        endLine()
    }

    /// `name: value` CRLF, for a name and a value of ours.
    mutating func field(_ name: StaticString, _ value: HTTPFieldValue) {
        append(name: name)
        append(value.text)
        endLine()
    }

    /// `name: ID` CRLF: the ID's stem, then its number in lowercase hexadecimal.
    mutating func field(_ name: StaticString, _ id: HTTPRequestID) {
        append(name: name)
        append(id.stem.text)
        if let number = id.number {
            var shift = max(0, (UInt64.bitWidth - number.leadingZeroBitCount - 1) / 4 * 4)
            while true {
                let digit = UInt8(truncatingIfNeeded: number >> UInt64(shift)) & 0xF
                put(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
                if shift == 0 { break }
                shift -= 4
            }
        }
        endLine()
    }

    /// `name: ` for a name of ours, a literal: its bytes as they are, with no look for
    /// CR, LF or NUL.
    private mutating func append(name: StaticString) {
        put(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        put(HTTPBytes.colon)
        put(HTTPBytes.space)
    }
}
