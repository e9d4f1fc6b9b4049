// Which admin client gives up its slot when every slot is taken, in O(1): first a client
// already answered (only its end of stream is awaited), then the client that has waited
// longest for its own request to arrive, silent or half-sent; never one still being
// answered. A health probe sends its whole request at once and is answered on arrival, so
// it is never the oldest; idle connections, however many, only push each other out.
//
// Why not a per-address cap: kubelet and a local flood both come from the node's own
// addresses (127.0.0.1 on loopback), so capping an address would shut the probe out with
// the flood.

struct AdminEvictionOrder {
    private var arrived = TokenQueue()
    private var answered = TokenQueue()

    mutating func clientArrived(_ token: UInt64) { arrived.append(token) }
    mutating func clientAnswered(_ token: UInt64) { answered.append(token) }

    /// The client to close to make room, or nil if every client is being answered.
    /// - Parameter phase: where a token's client stands; nil once it is gone. Tokens of
    ///   clients that are gone or have moved on are skipped and forgotten here.
    mutating func victim(phase: (UInt64) -> AdminClient.Phase?) -> UInt64? {
        while let token = answered.removeFirst() {
            if phase(token) == .answered { return token }
        }
        while let token = arrived.removeFirst() {
            if phase(token) == .receiving { return token }
        }
        return nil
    }

    /// Forgets tokens of clients that are gone, so that the queues never hold much more
    /// than the clients themselves; amortized O(1) when called after every close.
    mutating func forgetGone(limit: Int, phase: (UInt64) -> AdminClient.Phase?) {
        if arrived.count > 2 * limit { arrived.keep { phase($0) == .receiving } }
        if answered.count > 2 * limit { answered.keep { phase($0) == .answered } }
    }
}

/// Client tokens, oldest first.
private struct TokenQueue {
    private var tokens: [UInt64] = []
    private var head = 0

    var count: Int { tokens.count - head }

    mutating func append(_ token: UInt64) { tokens.append(token) }

    mutating func removeFirst() -> UInt64? {
        guard head < tokens.count else { return nil }
        defer {
            head += 1
            if head > 64, head * 2 > tokens.count {
                tokens.removeFirst(head)
                head = 0
            }
        }
        return tokens[head]
    }

    mutating func keep(where isKept: (UInt64) -> Bool) {
        tokens = tokens[head...].filter(isKept)
        head = 0
    }
}
