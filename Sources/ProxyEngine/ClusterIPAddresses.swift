// ClusterIPs and external IPs on the node. Their listeners are bound with IP_FREEBIND, so
// they accept as soon as the address is local; with `--cluster-ip-interface NAME` (and
// CAP_NET_ADMIN) svcproxy makes them local itself by adding each one as a /32 or /128 to
// that interface over rtnetlink, removes it when its service goes, and removes every one
// it added on exit. Addresses that were already local are left alone. Without the
// interface or the capability it says once, per address, which ones will not receive
// traffic unless something else routes them here.
//
// Every address svcproxy adds carries a mark on the address itself, IFA_PROTO =
// `addressProtocol`, so that a daemon started after a crash (SIGKILL, OOM kill, power
// loss of the process but not of the node) recognises what an earlier run added: it
// removes those no longer wanted and keeps the rest in place. Why a mark on the address
// rather than a record in the runtime directory: the mark cannot disagree with the
// kernel (no window between adding and recording, nothing stale after someone else
// removes and re-adds an address), survives a wiped or different runtime directory, goes
// away with the interface, and shows in `ip address show` (iproute2 6.3+) for operators.
// Where the kernel keeps no mark (before 5.18) svcproxy still knows what it added itself
// during one run; only the clean-up after a crash is lost there, as before.
//
// The LoadBalancer pool addresses (`--load-balancer-interface`, LoadBalancerAddresses.swift)
// are placed by a second instance with a mark of their own, so that neither instance
// takes the other's addresses for leftovers.
import LinuxIO
import Logging
import ServiceConfig

public final class ClusterIPAddresses {
    /// IFA_PROTO on the addresses svcproxy adds: 83, ASCII "S". The kernel names only 0-3
    /// (unspecified, loopback, router advertisement, link-local: if_addr.h), and tools that
    /// mark their addresses reuse their route protocol numbers (rtnetlink.h: 8-18 for
    /// gated to keepalived, 42 babel, 99 openr, 186-192 for the routing daemons'
    /// protocols); 83 is none of those, so an address with it is svcproxy's.
    public static let addressProtocol: UInt8 = 83

    /// IFA_PROTO on the load-balancer pool addresses: 76, ASCII "L", also free in rtnetlink.h.
    public static let loadBalancerAddressProtocol: UInt8 = 76

    private let interface: String?
    /// The IFA_PROTO value that marks this instance's addresses.
    private let marker: UInt8
    /// The flag that names the interface, for messages.
    private let flag: String
    private let logger: Logger
    /// The addresses svcproxy added or adopted from an earlier run, and so must remove.
    private var added: Set<PlacedAddress> = []
    /// Addresses already reported as not receiving traffic.
    private var reported: Set<IPAddress> = []

    public init(interface: String?, logger: Logger, marker: UInt8 = ClusterIPAddresses.addressProtocol,
                flag: String = "--cluster-ip-interface") {
        self.interface = interface
        self.marker = marker
        self.flag = flag
        self.logger = logger
    }

    /// Brings the node in line with `plan`: adds its addresses that are not local yet,
    /// removes svcproxy's that it no longer has (also those an earlier run left behind).
    public func sync(_ plan: ProxyPlan) {
        reconcile(wanted: PlanDiff.serviceAddresses(of: plan))
    }

    /// Removes every address svcproxy added (on exit).
    public func removeAll() {
        reconcile(wanted: [])
    }

    /// Brings the node in line with `wanted` and returns the addresses that became this
    /// process's own in doing so: added now, or adopted from an earlier run.
    @discardableResult
    func reconcile(wanted: Set<IPAddress>) -> [PlacedAddress] {
        let before = added
        reconcileAddresses(wanted: wanted)
        return added.subtracting(before).sorted()
    }

    private func reconcileAddresses(wanted: Set<IPAddress>) {
        let present: [InterfaceAddressRecord]
        do {
            present = try RouteNetlink.addresses()
        } catch {
            logger.warning("Failed to list the node's addresses: \(error); service addresses are neither added nor removed",
                           metadata: ["event": "addresses-unreadable"])
            return
        }
        let changes = ClusterIPAddressChanges(wanted: wanted, present: present, addedHere: added, marker: marker,
                                              interfaceIndex: interface.flatMap(RouteNetlink.interfaceIndex(named:)))
        // Without an interface svcproxy manages no addresses, not even an earlier run's.
        if interface != nil {
            for address in changes.remove { remove(address) }
            for address in changes.keep where !added.contains(address) {
                log("Kept \(address.ip) on \(interfaceName(address)), added by an earlier run", address, event: "address-kept")
            }
            added = Set(changes.keep)
        }
        add(changes.add)
    }

    private func add(_ missing: [IPAddress]) {
        guard !missing.isEmpty else { return }
        guard let interface else {
            report(Set(missing), reason: "not addresses of this node; they receive traffic only where it is routed here "
                + "(\(flag) NAME adds them to an interface)")
            return
        }
        guard let index = RouteNetlink.interfaceIndex(named: interface) else {
            report(Set(missing), reason: "not added to interface \(interface): there is no such interface; they will not receive traffic")
            return
        }
        var denied: Set<IPAddress> = []
        for ip in missing {
            let placed = PlacedAddress(ip: ip, interfaceIndex: index)
            do {
                try RouteNetlink.addAddress(ip.bytes, interfaceIndex: index, protocolNumber: marker)
                added.insert(placed)
                reported.remove(ip)
                log("Added \(ip) to \(interface)", placed, event: "address-added")
            } catch .exists {
                continue  // someone else's, added since the listing: not ours to remove
            } catch .notPermitted {
                denied.insert(ip)
            } catch {
                report([ip], reason: "not added to \(interface): \(error); it will not receive traffic")
            }
        }
        if !denied.isEmpty {
            report(denied, reason: "not added to \(interface): adding addresses needs CAP_NET_ADMIN; they will not receive traffic")
        }
    }

    private func remove(_ address: PlacedAddress) {
        let wasAddedHere = added.remove(address) != nil
        let name = interfaceName(address)
        do {
            try RouteNetlink.removeAddress(address.ip.bytes, interfaceIndex: address.interfaceIndex)
            log("Removed \(address.ip) from \(name)" + (wasAddedHere ? "" : ", left by an earlier run"), address, event: "address-removed")
        } catch .addressNotAvailable {
            return  // already gone
        } catch {
            logger.warning("Failed to remove \(address.ip) from \(name): \(error)",
                           metadata: ["address": "\(address.ip)", "interface": "\(name)", "event": "address-remove-failed"])
        }
    }

    private func interfaceName(_ address: PlacedAddress) -> String {
        RouteNetlink.interfaceName(index: address.interfaceIndex) ?? "interface \(address.interfaceIndex)"
    }

    private func log(_ message: String, _ address: PlacedAddress, event: String) {
        logger.info("\(message)", metadata: ["address": "\(address.ip)", "interface": "\(interfaceName(address))", "event": "\(event)"])
    }

    /// Says once per address why it will not receive traffic.
    private func report(_ addresses: Set<IPAddress>, reason: String) {
        let fresh = addresses.subtracting(reported).sorted()
        guard !fresh.isEmpty else { return }
        reported.formUnion(fresh)
        logger.warning("Service addresses \(fresh.map(\.description).joined(separator: ", ")) are \(reason)",
                       metadata: ["addresses": "\(fresh.map(\.description).joined(separator: ","))", "event": "addresses-unreachable"])
    }
}
