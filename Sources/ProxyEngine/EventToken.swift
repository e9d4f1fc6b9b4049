// What an epoll registration carries: which kind of descriptor it is, which slot of the
// worker's tables, and that slot's generation. A connection slot is reused after close;
// an event still queued for its old descriptor carries the old generation and is dropped
// (SwiftNIO puts a registration id in epoll_event.data for the same reason).

struct EventToken: Equatable {
    enum Kind: UInt64 {
        case listener = 0
        case client = 1
        case backend = 2
        case wakeup = 3
    }

    let kind: Kind
    let slot: UInt32
    let generation: UInt32

    init(kind: Kind, slot: UInt32, generation: UInt32) {
        self.kind = kind
        self.slot = slot
        self.generation = generation & Self.generationMask
    }

    /// Bits 62–63 kind, 32–61 generation, 0–31 slot.
    var rawValue: UInt64 {
        kind.rawValue << 62 | UInt64(generation) << 32 | UInt64(slot)
    }

    init(rawValue: UInt64) {
        kind = Kind(rawValue: rawValue >> 62) ?? .wakeup
        generation = UInt32(truncatingIfNeeded: rawValue >> 32) & Self.generationMask
        slot = UInt32(truncatingIfNeeded: rawValue)
    }

    static let generationMask: UInt32 = (1 << 30) - 1
}
