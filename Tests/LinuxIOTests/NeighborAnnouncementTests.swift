// The announcement frames byte for byte: a gratuitous ARP request (RFC 5227 section 3)
// and an unsolicited Neighbor Advertisement with Override and the target link-layer
// address option (RFC 4861 sections 4.4 and 4.6.1).
import Testing
@testable import LinuxIO

@Suite struct NeighborAnnouncementTests {
    static let mac: [UInt8] = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]

    @Test func aGratuitousARPNamesTheAddressAsSenderAndTarget() {
        let frame = NeighborAnnouncement.arpRequest([10, 250, 0, 240], hardwareAddress: Self.mac)
        #expect(frame.count == 28)
        #expect(Array(frame[0..<8]) == [0, 1, 8, 0, 6, 4, 0, 1])  // Ethernet, IPv4, 6, 4, request
        #expect(Array(frame[8..<14]) == Self.mac)
        #expect(Array(frame[14..<18]) == [10, 250, 0, 240])
        #expect(Array(frame[18..<24]) == [0, 0, 0, 0, 0, 0])
        #expect(Array(frame[24..<28]) == [10, 250, 0, 240])
    }

    @Test func anUnsolicitedAdvertisementOverridesAndCarriesTheLinkAddress() {
        let target: [UInt8] = [0xfd, 0, 0, 9] + [UInt8](repeating: 0, count: 11) + [7]
        let message = NeighborAnnouncement.neighborAdvertisement(target, hardwareAddress: Self.mac)
        #expect(message.count == 32)
        #expect(message[0] == 136 && message[1] == 0)
        #expect(message[4] == 0x20)  // Override; Router and Solicited clear
        #expect(Array(message[8..<24]) == target)
        #expect(Array(message[24..<32]) == [2, 1] + Self.mac)
    }
}
