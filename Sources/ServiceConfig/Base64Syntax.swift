// Base64 as the API server reads a Secret's `data`: Go's encoding/base64 StdEncoding (the
// standard alphabet, `=` padding required, CR and LF skipped anywhere), so that what
// `kubectl apply` would refuse is refused here with Go's words, "illegal base64 data at
// input byte N". Foundation's decoder neither skips line breaks as Go does nor says where
// the input went wrong.

enum Base64Syntax {
    /// Why `text` is not base64: Go's CorruptInputError, an offset into the input.
    struct CorruptInput: Error, Equatable, CustomStringConvertible {
        let offset: Int
        var description: String { "illegal base64 data at input byte \(offset)" }
    }

    private static let invalid: UInt8 = 0xFF
    private static let padding = UInt8(ascii: "=")

    private static let decodeMap: [UInt8] = {
        var map = [UInt8](repeating: invalid, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            map[Int(byte)] = UInt8(index)
        }
        return map
    }()

    private static func isLineBreak(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }

    /// The bytes `text` encodes, or where it stops being base64.
    static func decode(_ text: String) -> Result<[UInt8], CorruptInput> {
        let source = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(source.count / 4 * 3)
        var index = 0
        while true {
            switch decodeQuantum(source, from: &index) {
            case .failure(let error): return .failure(error)
            case .success(let bytes):
                output += bytes
                if bytes.count < 3 { return .success(output) }  // the end, or padding: nothing may follow
            }
        }
    }

    /// Up to three bytes from the next four characters, as Go's decodeQuantum reads them.
    private static func decodeQuantum(_ source: [UInt8], from index: inout Int) -> Result<[UInt8], CorruptInput> {
        var quantum = [UInt8](repeating: 0, count: 4)
        var length = 4
        var j = 0
        while j < 4 {
            guard index < source.count else {
                if j == 0 { return .success([]) }
                return .failure(CorruptInput(offset: index - j))  // a quantum cut short: padding is required
            }
            let byte = source[index]
            index += 1
            let value = decodeMap[Int(byte)]
            if value != invalid {
                quantum[j] = value
                j += 1
                continue
            }
            if isLineBreak(byte) { continue }
            guard byte == padding else { return .failure(CorruptInput(offset: index - 1)) }
            // Padding: the end of the input, after line breaks at most.
            switch j {
            case 0, 1:
                return .failure(CorruptInput(offset: index - 1))
            case 2:
                while index < source.count, isLineBreak(source[index]) { index += 1 }
                guard index < source.count else { return .failure(CorruptInput(offset: source.count)) }
                guard source[index] == padding else { return .failure(CorruptInput(offset: index - 1)) }
                index += 1
            default:
                break
            }
            while index < source.count, isLineBreak(source[index]) { index += 1 }
            if index < source.count { return .failure(CorruptInput(offset: index)) }
            length = j
            break
        }
        let value = UInt32(quantum[0]) << 18 | UInt32(quantum[1]) << 12 | UInt32(quantum[2]) << 6 | UInt32(quantum[3])
        let bytes = [UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
        return .success(Array(bytes.prefix(length - 1)))
    }
}
