// A worker's connections, by slot. Slots are reused, so whoever looks a connection up for
// an event or a timer also compares the registration tag it carries (TCPRelayHandler):
// an event for a closed connection's descriptor then finds nothing.

struct ConnectionTable {
    private var slots: [Connection?] = []
    private var freeSlots: [UInt32] = []
    private(set) var count = 0

    /// A slot number for a new connection, filled by `insert`.
    mutating func reserveSlot() -> UInt32 {
        if let slot = freeSlots.popLast() { return slot }
        slots.append(nil)
        return UInt32(slots.count - 1)
    }

    mutating func insert(_ connection: Connection) {
        slots[Int(connection.slot)] = connection
        count += 1
    }

    mutating func remove(_ connection: Connection) {
        slots[Int(connection.slot)] = nil
        freeSlots.append(connection.slot)
        count -= 1
    }

    subscript(slot: UInt32) -> Connection? {
        Int(slot) < slots.count ? slots[Int(slot)] : nil
    }

    /// Every open connection, for shutdown.
    var all: [Connection] { slots.compactMap { $0 } }
}
