// Peeks into a response without reading it whole: what the engine's metrics and logs need
// of an upstream's answer that it relays.

public enum DNSWire {
    /// The response code, with the OPT record's extension when the message has one; nil for
    /// less than a header. A message that does not parse past its header gives the header's.
    public static func rcode(of response: UnsafeRawBufferPointer) -> DNSResponseCode? {
        guard response.count >= 12 else { return nil }
        let header = DNSResponseCode(rawValue: UInt16(response[3] & 0xf))
        return ReadMessage(response)?.rcode ?? header
    }

    /// The header's response code alone (no OPT extension): cheap enough for every answer.
    public static func headerRCode(of response: UnsafeRawBufferPointer) -> DNSResponseCode? {
        response.count >= 12 ? DNSResponseCode(rawValue: UInt16(response[3] & 0xf)) : nil
    }

    /// Whether TC is set: the sender cut the message to fit.
    public static func isTruncated(_ response: UnsafeRawBufferPointer) -> Bool {
        response.count >= 12 && response[2] & 0x02 != 0
    }
}
