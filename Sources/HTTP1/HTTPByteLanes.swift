// Eight bytes of a head tested at once, as the eight lanes of one 64-bit word: what the
// parsers look at every byte of (field names and values) costs a few word operations per
// eight bytes rather than a comparison or two per byte. Each test answers with the high bit
// of every lane that passes, and is exact per lane: no carry or borrow crosses from one lane
// into the next, so the lowest failing lane is the first failing byte.

enum HTTPByteLanes {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = ones &* 0x80

    /// The eight bytes of `bytes` from `offset`, the first in the lowest lane whatever the
    /// machine's byte order (so that `trailingZeroBitCount / 8` counts bytes).
    @inline(__always)
    static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// How many lanes come before the first whose high bit `passing` lacks (8 when none
    /// does): the bytes of the word tested that passed, in order.
    @inline(__always)
    static func leadingPasses(_ passing: UInt64) -> Int {
        (~passing & highBits).trailingZeroBitCount / 8
    }

    /// The lanes of `ascii` (every lane below 0x80) from `low` to `high` (both ASCII, low no
    /// more than high): adding 0x80 - low sets a lane's high bit from `low` on, adding
    /// 0x7F - high from past `high` on, and neither sum passes 0xFF.
    @inline(__always)
    static func inRange(_ ascii: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        let fromLow = ascii &+ ones &* UInt64(0x80 - low)
        let pastHigh = ascii &+ ones &* UInt64(0x7F - high)
        return fromLow & ~pastHigh & highBits
    }

    /// The lanes holding a letter, a digit or a hyphen: the bytes of nearly every field name
    /// (the rest of tchar, `!#$%&'*+.^_`|~`, is left to a byte-at-a-time look).
    @inline(__always)
    static func nameLanes(_ word: UInt64) -> UInt64 {
        let ascii = word & ~highBits
        let letters = inRange(ascii | ones &* 0x20, 0x61, 0x7A)  // either case, made lower
        let digits = inRange(ascii, 0x30, 0x39)
        let hyphens = ~((ascii ^ ones &* 0x2D) &+ ones &* 0x7F) & highBits  // no low bit differs
        return (letters | digits | hyphens) & ~word  // and not a byte from 0x80 up
    }

    /// The lanes of `word` that a field value may hold without a second look: visible
    /// ASCII, the space and obs-text (from 0x80 up); not a control byte (below 0x20, the tab
    /// included) or DEL.
    @inline(__always)
    static func valueLanes(_ word: UInt64) -> UInt64 {
        let ascii = word & ~highBits
        let atLeastSpace = ascii &+ ones &* (0x80 - 0x20)
        let notDelete = (ascii ^ ones &* 0x7F) &+ ones &* 0x7F  // no low bit equals DEL's
        return (word | (atLeastSpace & notDelete)) & highBits
    }

    /// 0x20 in each lane of `ascii` (every lane below 0x80) that holds a letter: what makes
    /// either case of that letter equal when or-ed into both sides.
    @inline(__always)
    static func letterCaseBits(_ ascii: UInt64) -> UInt64 {
        inRange(ascii | ones &* 0x20, 0x61, 0x7A) >> 2
    }
}
