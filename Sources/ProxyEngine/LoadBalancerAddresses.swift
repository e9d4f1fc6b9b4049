// The LoadBalancer pool addresses on the node (pool mode, issue 17): each address a plan
// gives a Service is added to `--load-balancer-interface` as a /32 or /128 and announced on
// that link, so that neighbours send its traffic here; an address no longer given out is
// removed, and all of them on exit. Placing them is ClusterIPAddresses' job, with a mark
// of their own (crash-safe the same way: a restart after SIGKILL removes what an earlier
// run left behind and adopts what is still wanted).
//
// An announcement (gratuitous ARP, unsolicited Neighbor Advertisement) goes out when an
// address becomes ours and again 1, 3 and 7 seconds later, as keepalived repeats its
// gratuitous ARPs: one frame can be lost, and a neighbour whose cache still points at the
// node that held the address before follows the last one it hears. The daemon's loop
// calls `announceDue` when `nextAnnouncement` comes; nothing here sleeps.
import LinuxIO
import Logging
import ServiceConfig

public final class LoadBalancerAddresses {
    /// After the first announcement, the repeats, in nanoseconds from it.
    static let repeats: [UInt64] = [1, 3, 7].map { $0 * 1_000_000_000 }

    private let placer: ClusterIPAddresses
    private let logger: Logger
    /// Per address still to announce again: where it is, when, and how many went out.
    private var scheduled: [PlacedAddress: (due: UInt64, sent: Int, start: UInt64)] = [:]
    /// Addresses whose announcement failed, reported once.
    private var failed: Set<IPAddress> = []

    public init(interface: String?, logger: Logger) {
        placer = ClusterIPAddresses(interface: interface, logger: logger, marker: ClusterIPAddresses.loadBalancerAddressProtocol,
                                    flag: "--load-balancer-interface")
        self.logger = logger
    }

    /// Adds the plan's pool addresses that are missing, removes those it no longer has,
    /// and announces each address that became ours.
    public func sync(_ plan: ProxyPlan, now: UInt64) {
        let wanted = plan.loadBalancerPoolAddresses
        scheduled = scheduled.filter { wanted.contains($0.key.ip) }
        // Released addresses are forgotten: a failure is reported again if one comes back.
        failed.formIntersection(wanted)
        for address in placer.reconcile(wanted: wanted) {
            announce(address)
            scheduled[address] = (due: now + Self.repeats[0], sent: 1, start: now)
        }
    }

    /// Removes every pool address (on exit).
    public func removeAll() {
        scheduled = [:]
        placer.removeAll()
    }

    /// When the next repeat is due (CLOCK_MONOTONIC nanoseconds), or nil.
    public var nextAnnouncement: UInt64? { scheduled.values.map(\.due).min() }

    /// Sends the repeats that are due at `now`.
    public func announceDue(now: UInt64) {
        for (address, entry) in scheduled where entry.due <= now {
            announce(address)
            let sent = entry.sent + 1
            scheduled[address] = sent > Self.repeats.count ? nil : (due: entry.start + Self.repeats[sent - 1], sent: sent, start: entry.start)
        }
    }

    private func announce(_ address: PlacedAddress) {
        let name = RouteNetlink.interfaceName(index: address.interfaceIndex) ?? "interface \(address.interfaceIndex)"
        guard let hardware = NeighborAnnouncement.hardwareAddress(interfaceIndex: address.interfaceIndex) else {
            reportOnce(address.ip, "\(name) has no Ethernet address: \(address.ip) is not announced")
            return
        }
        do {
            if address.ip.family == .ipv4 {
                try NeighborAnnouncement.sendGratuitousARP(address.ip.bytes, hardwareAddress: hardware, interfaceIndex: address.interfaceIndex)
            } else {
                try NeighborAnnouncement.sendUnsolicitedNeighborAdvertisement(address.ip.bytes, hardwareAddress: hardware,
                                                                              interfaceIndex: address.interfaceIndex)
            }
            failed.remove(address.ip)
            logger.debug("Announced \(address.ip) on \(name)", metadata: ["address": "\(address.ip)", "event": "address-announced"])
        } catch .notPermitted {
            reportOnce(address.ip, "Failed to announce \(address.ip) on \(name): announcing needs CAP_NET_RAW; neighbours learn it only when they ask")
        } catch {
            reportOnce(address.ip, "Failed to announce \(address.ip) on \(name): \(error)")
        }
    }

    private func reportOnce(_ ip: IPAddress, _ message: String) {
        guard failed.insert(ip).inserted else { return }
        logger.warning("\(message)", metadata: ["address": "\(ip)", "event": "announce-failed"])
    }
}
