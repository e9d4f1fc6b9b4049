// ClusterIPs and external IPs on the node. Their listeners are bound with IP_FREEBIND, so
// they accept as soon as the address is local; with `--cluster-ip-interface NAME` (and
// CAP_NET_ADMIN) svcproxy makes them local itself by adding each one as a /32 or /128 to
// that interface over rtnetlink, removes it when its service goes, and removes every one
// it added on exit. Addresses that were already local are left alone. Without the
// interface or the capability it says once, per address, which ones will not receive
// traffic unless something else routes them here.
import LinuxIO
import Logging
import ServiceConfig

public final class ClusterIPAddresses {
    private let interface: String?
    private let logger: Logger
    /// The addresses svcproxy added, and so must remove.
    private var added: Set<IPAddress> = []
    /// Addresses already reported as not receiving traffic.
    private var reported: Set<IPAddress> = []

    public init(interface: String?, logger: Logger) {
        self.interface = interface
        self.logger = logger
    }

    /// The service addresses of `plan` that are not local and so need adding.
    private func serviceAddresses(of plan: ProxyPlan) -> Set<IPAddress> {
        var wanted: Set<IPAddress> = []
        for servicePort in plan.servicePorts {
            for address in servicePort.listenAddresses where address.kind == .clusterIP || address.kind == .externalIP {
                if !address.ip.isLoopback, !address.ip.isUnspecified { wanted.insert(address.ip) }
            }
        }
        return wanted
    }

    /// Brings the interface in line with `plan`: adds its addresses that are not local yet,
    /// removes the ones added before that it no longer has.
    public func sync(_ plan: ProxyPlan) {
        let wanted = serviceAddresses(of: plan)
        for ip in added.subtracting(wanted).sorted() { remove(ip) }
        let local = Set(((try? NetworkInterfaces.addresses()) ?? []).compactMap { IPAddress($0.ip) })
        let missing = wanted.subtracting(local).subtracting(added)
        guard !missing.isEmpty else { return }
        guard let interface else {
            report(missing, reason: "not addresses of this node; they receive traffic only where it is routed here "
                + "(--cluster-ip-interface NAME adds them to an interface)")
            return
        }
        guard let index = RouteNetlink.interfaceIndex(named: interface) else {
            report(missing, reason: "not added to interface \(interface): there is no such interface; they will not receive traffic")
            return
        }
        var denied: Set<IPAddress> = []
        for ip in missing.sorted() {
            do {
                try RouteNetlink.addAddress(ip.bytes, interfaceIndex: index)
                added.insert(ip)
                reported.remove(ip)
                logger.info("Added \(ip) to \(interface)", metadata: ["address": "\(ip)", "interface": "\(interface)", "event": "address-added"])
            } catch .exists {
                continue  // someone else's: not ours to remove
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

    /// Removes every address svcproxy added (on exit).
    public func removeAll() {
        for ip in added.sorted() { remove(ip) }
    }

    private func remove(_ ip: IPAddress) {
        added.remove(ip)
        guard let interface, let index = RouteNetlink.interfaceIndex(named: interface) else { return }
        do {
            try RouteNetlink.removeAddress(ip.bytes, interfaceIndex: index)
            logger.info("Removed \(ip) from \(interface)", metadata: ["address": "\(ip)", "interface": "\(interface)", "event": "address-removed"])
        } catch .addressNotAvailable {
            return  // already gone
        } catch {
            logger.warning("Failed to remove \(ip) from \(interface): \(error)",
                           metadata: ["address": "\(ip)", "interface": "\(interface)", "event": "address-remove-failed"])
        }
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
