// The zone a plan's DNS part serves: its names, with the plan's domain, TTL and UDP size;
// forwarding on when it has upstreams; its own addresses as the zone's nameserver.
import ServiceConfig

extension DNSZone {
    public convenience init(plan: DNSPlan) {
        var seen: Set<IPAddress> = []
        let addresses = plan.listenAddresses.map(\.ip).filter { seen.insert($0).inserted }
        let settings = DNSZoneSettings(domain: plan.clusterDomain, ttl: UInt32(clamping: plan.ttl.components.seconds),
                                       udpSize: plan.udpSize, forwarding: !plan.upstreams.isEmpty, nameserverAddresses: addresses)
        self.init(names: plan.names, settings: settings)
    }
}
