// Pool mode, MetalLB layer 2's way (LoadBalancerAssignment.swift): a Service gets one
// address from a pool (the one its annotation `svcproxy.io/load-balancer-pool` names, else
// the first with room), in its primary IP family where the pool has blocks of it. A
// dual-stack Service gets one address too, in its primary family: svcproxy does not hand
// out a second one per family.
//
// The order, in three rounds, oldest first in each: the address a Service had in the
// previous plan stays with it (a reload moves nothing, and a newcomer that asks for it
// with `spec.loadBalancerIP` waits, pending, as under MetalLB); then requested addresses
// (`spec.loadBalancerIP` or a status address inside a pool); then the rest get one derived
// from their name. Derivation hashes the Service's name within each block of the pool
// separately, probing onward inside the block on a collision, so an address depends on
// the Service and its block, not on how many addresses the pool has: adding a block
// leaves every address in the earlier ones where it was. A restart (no previous plan)
// gives the same addresses as long as the Services and pools are the same; after a
// change, Services that collided may come out in another order.
//
// An address is never handed out when something else already has it: one of the node's
// own addresses (other than the pool addresses svcproxy placed, mark 76), a ClusterIP, an
// external IP, or a load-balancer address written for another Service (another class's
// controller): announcing it would steal that address's traffic on the LAN.

extension LoadBalancerAssignment {
    /// The pools `service` may take an address from: the one its annotation names, else
    /// all in order; nil when the annotation names none.
    func pools(for service: Service) -> [LoadBalancerPool]? {
        guard let name = service.annotations[Service.loadBalancerPoolAnnotation] else { return settings.loadBalancerIPPools }
        return settings.loadBalancerIPPools.first { $0.name == name }.map { [$0] }
    }

    mutating func assignPools(_ services: [Service], all: [Service]) {
        var wanting: [(service: Service, pools: [LoadBalancerPool], requested: IPAddress?)] = []
        for service in services {
            guard let pools = pools(for: service) else {
                let name = service.annotations[Service.loadBalancerPoolAnnotation] ?? ""
                pending(service, pool: name, "there is no pool named \"\(name)\" (annotation \(Service.loadBalancerPoolAnnotation))")
                continue
            }
            let written = PlanBuilder.loadBalancerIPs(of: service)
            if written.isEmpty {
                wanting.append((service, pools, nil))
            } else if let ip = written.first(where: { ip in pools.contains { $0.contains(ip) } }) {
                wanting.append((service, pools, ip))
            } else {
                notes.append("\(service.label): its load-balancer addresses lie in no pool of its own; served there, not added to the interface")
            }
        }
        var taken = takenAddresses(all, assigning: Set(wanting.map(\.service.key)))
        // Remembered addresses first: the holder keeps its address.
        var requesting: [(service: Service, pools: [LoadBalancerPool], requested: IPAddress?)] = []
        for entry in wanting {
            if let ip = previous.poolAddresses[entry.service.key], entry.requested == nil || entry.requested == ip, taken[ip] == nil,
               let pool = entry.pools.first(where: { $0.contains(ip) }) {
                take(ip, pool: pool, for: entry.service, taken: &taken)
            } else {
                requesting.append(entry)
            }
        }
        // Requested addresses next: one held already leaves the Service pending.
        var deriving: [(Service, [LoadBalancerPool])] = []
        for (service, pools, requested) in requesting {
            guard let ip = requested else {
                deriving.append((service, pools))
                continue
            }
            let pool = pools.first { $0.contains(ip) }
            if let owner = taken[ip] {
                pending(service, pool: pool?.name, "\(ip) is taken by \(owner)")
            } else if let pool {
                take(ip, pool: pool, for: service, taken: &taken)
            }
        }
        for (service, pools) in deriving {
            let family = allocations.clusterIPs[service.key]?.first?.family
            guard let (ip, pool) = pools.lazy.compactMap({ pool in Self.derive(for: service.key, in: pool, family: family, taken: taken).map { ($0, pool) } }).first
            else {
                let names = pools.map(\.name)
                pending(service, pool: names.joined(separator: ","),
                        "no free address in pool\(names.count == 1 ? "" : "s") \(names.joined(separator: ", "))")
                continue
            }
            take(ip, pool: pool, for: service, taken: &taken)
            notes.append("\(service.label): allocated load-balancer address \(ip) from pool \(pool.name)")
        }
    }

    /// The addresses no Service of ours may get, and who has each: the node's own (but
    /// the pool addresses svcproxy placed), every ClusterIP and external IP, and the
    /// load-balancer addresses written for Services not being assigned here.
    func takenAddresses(_ services: [Service], assigning: Set<ObjectKey>) -> [IPAddress: String] {
        var taken: [IPAddress: String] = [:]
        for ip in settings.nodeAddresses where !settings.markedAddresses.loadBalancerAddresses.contains(ip) {
            taken[ip] = "this node (one of its addresses)"
        }
        for (key, ips) in allocations.clusterIPs {
            for ip in ips { taken[ip] = "\(key) (its ClusterIP)" }
        }
        for service in services {
            for ip in service.externalIPs.compactMap(IPAddress.init) { taken[ip] = "\(service.key) (an external IP)" }
            guard service.type == .loadBalancer, !assigning.contains(service.key) else { continue }
            for ip in PlanBuilder.loadBalancerIPs(of: service) { taken[ip] = "\(service.key) (its written load-balancer address)" }
        }
        return taken
    }

    mutating func take(_ ip: IPAddress, pool: LoadBalancerPool, for service: Service, taken: inout [IPAddress: String]) {
        taken[ip] = "\(service.key)"
        allocated.poolAddresses[service.key] = ip
        result.set(LoadBalancerState(service: service.key, pool: pool.name, addresses: [ip], pendingReason: nil))
    }

    /// The addresses of `cidr` a Service may get: an IPv4 block of more than two leaves out
    /// its network and broadcast addresses, an IPv6 block of more than two its
    /// subnet-router anycast address (RFC 4291 2.6.1); a /31, /32, /127 or /128 gives all.
    static func usable(_ cidr: CIDR) -> (first: UInt64, count: UInt64) {
        let count = cidr.addressCount
        guard count > 2 else { return (0, count) }
        return cidr.address.family == .ipv4 ? (1, count - 2) : (1, count - 1)
    }

    /// A free address of `pool`, in `family`'s blocks when it has any: in each block in
    /// turn, from a stable hash of the Service's name and the block, probing onward within
    /// the block. Each block's count is capped (CIDR.addressCount), and no sum of counts is
    /// taken, so nothing overflows however large the blocks.
    static func derive(for key: ObjectKey, in pool: LoadBalancerPool, family: IPAddress.Family?, taken: [IPAddress: String]) -> IPAddress? {
        let ofFamily = pool.cidrs.filter { $0.address.family == family }
        for cidr in ofFamily.isEmpty ? pool.cidrs : ofFamily {
            let range = usable(cidr)
            guard range.count > 0 else { continue }
            let start = Allocator.stableHash("\(key)|\(cidr)") % range.count
            // Among `taken.count + 1` distinct addresses one is free, unless the block is full.
            let probes = min(range.count, UInt64(taken.count) + 1)
            for step in 0..<probes {
                // start and step are below 2^62 (addressCount's cap): no overflow.
                let candidate = cidr.address(at: range.first + (start + step) % range.count)
                if taken[candidate] == nil { return candidate }
            }
        }
        return nil
    }
}
