// A worker's open objects of one kind (relayed connections, HTTP sessions, connections to
// endpoints), by slot. Slots are reused, so whoever looks one up for an event or a timer
// also compares the registration tag it carries: an event for a closed object's
// descriptor then finds nothing.

/// What a slot table holds: an object that knows its own slot.
protocol SlotOccupant: AnyObject {
    var slot: UInt32 { get }
}

struct SlotTable<Occupant: SlotOccupant> {
    private var slots: [Occupant?] = []
    private var freeSlots: [UInt32] = []
    private(set) var count = 0

    /// A slot number for a new occupant, filled by `insert`.
    mutating func reserveSlot() -> UInt32 {
        if let slot = freeSlots.popLast() { return slot }
        slots.append(nil)
        return UInt32(slots.count - 1)
    }

    mutating func insert(_ occupant: Occupant) {
        slots[Int(occupant.slot)] = occupant
        count += 1
    }

    mutating func remove(_ occupant: Occupant) {
        slots[Int(occupant.slot)] = nil
        freeSlots.append(occupant.slot)
        count -= 1
    }

    subscript(slot: UInt32) -> Occupant? {
        Int(slot) < slots.count ? slots[Int(slot)] : nil
    }

    /// Every occupant, for shutdown.
    var all: [Occupant] { slots.compactMap { $0 } }
}

typealias ConnectionTable = SlotTable<Connection>
