// Session-ticket keys that outlive any one SSL_CTX. OpenSSL would otherwise make random
// keys per context, so a ticket from one reload (or one plan) would not open on the next,
// and every reload would cost each returning client a full handshake. The keys live here,
// in one object the engine keeps for its whole life and hands to every TLSServerContext.
import COpenSSL
import CTLSShim
import Glibc
import Synchronization

/// Session-ticket keys shared by every worker and kept across reloads, so a client resumes
/// whichever worker accepts it and after a reload; rotated every 12 hours (the previous key
/// still decrypts).
public final class TLSTicketKeys: Sendable {
    /// One key: the name tickets carry to say which key sealed them, and its two secrets.
    struct Key: Sendable {
        let name: [UInt8]
        let cipherKey: [UInt8]
        let macKey: [UInt8]
        let created: Double

        init(created: Double) {
            // getrandom(2) through the standard library: cryptographically secure, and it
            // cannot fail the way RAND_bytes can report it did.
            var generator = SystemRandomNumberGenerator()
            func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in generator.next() } }
            name = random(16)
            cipherKey = random(32)
            macKey = random(32)
            self.created = created
        }
    }

    private struct Ring {
        var current: Key
        var previous: Key?
    }

    private let ring: Mutex<Ring>
    private let rotationInterval: Double
    private let clock: @Sendable () -> Double

    public convenience init() {
        self.init(rotationInterval: 12 * 60 * 60, clock: { wallClockSeconds() })
    }

    /// - Parameters:
    ///   - rotationInterval: seconds a key seals new tickets before the next one takes over.
    ///   - clock: seconds since the epoch (tests move it).
    init(rotationInterval: Double, clock: @escaping @Sendable () -> Double) {
        self.rotationInterval = rotationInterval
        self.clock = clock
        ring = Mutex(Ring(current: Key(created: clock()), previous: nil))
    }

    /// The key new tickets are sealed with, rotating first when it is due.
    func sealingKey() -> Key {
        ring.withLock { ring in
            rotateIfDue(&ring)
            return ring.current
        }
    }

    /// The key whose name a ticket carries, and whether the ticket should be renewed (it was
    /// sealed with the previous key); nil for an unknown or retired key.
    func openingKey(named name: UnsafeBufferPointer<UInt8>) -> (key: Key, renew: Bool)? {
        ring.withLock { ring in
            rotateIfDue(&ring)
            if ring.current.name.elementsEqual(name) { return (ring.current, false) }
            if let previous = ring.previous, previous.name.elementsEqual(name) { return (previous, true) }
            return nil
        }
    }

    /// Rotation happens on use, under the lock, so no timer thread is needed. After a quiet
    /// spell of two intervals or more, the old key is dropped rather than kept as previous:
    /// its tickets are older than any session lifetime.
    private func rotateIfDue(_ ring: inout Ring) {
        let now = clock()
        let age = now - ring.current.created
        guard age >= rotationInterval else { return }
        ring.previous = age < 2 * rotationInterval ? ring.current : nil
        ring.current = Key(created: now)
    }
}

/// Seconds since the epoch, from CLOCK_REALTIME.
func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
