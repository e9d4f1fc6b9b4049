// One field line: the name as sent (compared without case) and the value without its
// surrounding whitespace, both kept as bytes. The fields of a parsed head share one copy of
// that head's bytes and are ranges of it: a head costs one allocation, not a String for
// every name and value, and a field is forwarded by copying its bytes, with no encoding or
// check to repeat (the parser checked them). `name` and `value` make Strings on demand.

public struct HTTPField: Sendable {
    /// The bytes `name` and `value` are ranges of: a parsed head's, or the field's own.
    private let storage: [UInt8]
    private let nameStart: Int32
    private let nameEnd: Int32
    private let valueStart: Int32
    private let valueEnd: Int32
    /// The field's line in `storage` reads `name: value` CRLF, as `HTTPHeadWriter` would
    /// write it: lines like that are forwarded by copying them, several at once.
    let plainLine: Bool
    /// Which of the names the proxy acts on this field has, if any.
    let knownName: HTTPFieldName

    /// A field made in code. CR, LF and NUL become spaces (RFC 9110 §5.5), so that no field
    /// can split one message into two wherever it is written.
    public init(name: String, value: String) {
        var storage: [UInt8] = []
        storage.reserveCapacity(name.utf8.count + value.utf8.count)
        for byte in name.utf8 { storage.append(HTTPBytes.isLineBreakOrNul(byte) ? HTTPBytes.space : byte) }
        let nameEnd = storage.count
        for byte in value.utf8 { storage.append(HTTPBytes.isLineBreakOrNul(byte) ? HTTPBytes.space : byte) }
        self.init(storage: storage, name: 0..<nameEnd, value: nameEnd..<storage.count, plainLine: false,
                  knownName: storage.withUnsafeBytes { HTTPFieldName.of(UnsafeRawBufferPointer(rebasing: $0[..<nameEnd])) })
    }

    /// A field whose name and value are at `name` and `value` in `storage` (a head the parser
    /// checked, or the field's own bytes); `plainLine` when its line there is `name: value`
    /// CRLF, `knownName` the name told apart.
    init(storage: [UInt8], name: Range<Int>, value: Range<Int>, plainLine: Bool, knownName: HTTPFieldName) {
        self.storage = storage
        nameStart = Int32(truncatingIfNeeded: name.lowerBound)
        nameEnd = Int32(truncatingIfNeeded: name.upperBound)
        valueStart = Int32(truncatingIfNeeded: value.lowerBound)
        valueEnd = Int32(truncatingIfNeeded: value.upperBound)
        self.plainLine = plainLine
        self.knownName = knownName
    }

    public var name: String { withNameBytes { String(decoding: $0, as: UTF8.self) } }
    public var value: String { withValueBytes { String(decoding: $0, as: UTF8.self) } }

    var nameCount: Int { Int(nameEnd &- nameStart) }
    var valueCount: Int { Int(valueEnd &- valueStart) }

    func withNameBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[Int(nameStart)..<Int(nameEnd)])) }
    }

    func withValueBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[Int(valueStart)..<Int(valueEnd)])) }
    }

    /// Where a plain line lies in `storage`, its CRLF included.
    private var lineRange: Range<Int> { Int(nameStart)..<(Int(valueEnd) + 2) }

    /// Whether `next` is a plain line that starts where this plain line ends, in the same
    /// head's bytes: the two can be copied as one run.
    func isFollowed(by next: HTTPField) -> Bool {
        plainLine && next.plainLine && next.nameStart == valueEnd + 2
            && storage.withUnsafeBytes { mine in next.storage.withUnsafeBytes { mine.baseAddress == $0.baseAddress } }
    }

    /// The bytes of the plain lines from this field's through `last`'s, which follow it
    /// (`isFollowed(by:)` held for every pair between).
    func withLineBytes<Result>(through last: HTTPField, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[lineRange.lowerBound..<last.lineRange.upperBound])) }
    }

    /// Whether this field has the known name `name` (never true of `.other`).
    func hasName(_ name: HTTPFieldName) -> Bool {
        name != .other && knownName == name
    }

    /// Whether this field is named `name`, ASCII case ignored (RFC 9110 §5.1).
    public func hasName(_ name: String) -> Bool {
        // Names equal without case have equal lengths (the comparison folds ASCII only).
        guard name.utf8.count == nameCount else { return false }
        return withNameBytes { mine in
            // A native String's bytes are contiguous: compared in one plain loop, without the
            // generic comparison's nested closures (asked a dozen times per request).
            name.utf8.withContiguousStorageIfAvailable { theirs in
                for index in 0..<theirs.count where HTTPBytes.lowercased(mine[index]) != HTTPBytes.lowercased(theirs[index]) {
                    return false
                }
                return true
            } ?? HTTPBytes.equalIgnoringCase(mine, name.utf8)
        }
    }
}

extension HTTPField: Hashable {
    public static func == (a: HTTPField, b: HTTPField) -> Bool {
        a.withNameBytes { left in b.withNameBytes { left.elementsEqual($0) } }
            && a.withValueBytes { left in b.withValueBytes { left.elementsEqual($0) } }
    }

    public func hash(into hasher: inout Hasher) {
        withNameBytes { hasher.combine(bytes: $0) }
        hasher.combine(nameCount)
        withValueBytes { hasher.combine(bytes: $0) }
    }
}

extension [HTTPField] {
    /// The values of every field line named `name`, in order received.
    func values(named name: String) -> [String] {
        compactMap { $0.hasName(name) ? $0.value : nil }
    }

    /// Whether an element of the lists in the fields named `name` is `token`, without case
    /// (Upgrade's `websocket`), read off the fields' bytes.
    func listContains(named name: HTTPFieldName, _ token: String) -> Bool {
        anyListElement(named: name) { HTTPBytes.equalIgnoringCase($0, token.utf8) }
    }

    /// The index of the first field named `name`. Here and in `anyValue`, fields are looked at
    /// by index and by their stored name, in a plain loop: a method called on each, or a
    /// closure over the array, copied every field it looked at (a retain and a release of its
    /// head's bytes).
    func firstIndex(named name: HTTPFieldName) -> Int? {
        guard name != .other else { return nil }
        for index in indices where self[index].knownName == name { return index }
        return nil
    }

    /// Whether a field is named `name`.
    func contains(named name: HTTPFieldName) -> Bool { firstIndex(named: name) != nil }

    /// Whether `test` holds for an element of the lists in the fields named `name`.
    func anyListElement(named name: HTTPFieldName, where test: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        anyValue(named: name) { HTTPListSyntax.anyElement(of: $0, where: test) }
    }

    /// Whether `test` holds for the value of a field named `name`, the fields looked at in
    /// order and no further than the first it holds for.
    func anyValue(named name: HTTPFieldName, where test: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard name != .other else { return false }
        for index in indices where self[index].knownName == name {
            if self[index].withValueBytes(test) { return true }
        }
        return false
    }
}
