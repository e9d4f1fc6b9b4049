// The response head the Ingress proxy writes back to its client: always HTTP/1.1 (a
// server speaks its highest version, RFC 9110 §2.5), the endpoint's status and fields
// without the hop-by-hop ones, and the proxy's own word on whether the client's connection
// persists, which need not be the endpoint's.

extension HTTPResponseHead {
    /// The head to write to the client, status line to empty line.
    ///
    /// A 101 keeps Upgrade and says `Connection: upgrade`: the tunnel starts after it.
    /// Otherwise `Connection: close` when `closing`, or `Connection: keep-alive` for an
    /// HTTP/1.0 client whose connection is kept, which it would otherwise close.
    public func forwardedHead(clientVersion: HTTPVersion, closing: Bool) -> [UInt8] {
        HTTPHeadWriter.bytes(room: forwardedHeadRoom) { writeForwardedHead(&$0, clientVersion: clientVersion, closing: closing) }
    }

    /// Writes `forwardedHead(clientVersion:closing:)` straight into `room` of `capacity`
    /// bytes: its length, or nil when it did not fit.
    public func writeForwardedHead(clientVersion: HTTPVersion, closing: Bool, into room: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        HTTPHeadWriter.write(into: room, capacity: capacity) { writeForwardedHead(&$0, clientVersion: clientVersion, closing: closing) }
    }

    /// Room for the forwarded head: the received fields and reason, and 64 bytes more.
    public var forwardedHeadRoom: Int { HTTPHeadWriter.capacity(for: fields, extra: reason.utf8.count + 64) }

    private func writeForwardedHead(_ writer: inout HTTPHeadWriter, clientVersion: HTTPVersion, closing: Bool) {
        let switching = status == 101
        let hopByHop = HTTPHopByHop(fields: fields, connection: connectionOptions, keepsUpgrade: switching)
        writer.append("HTTP/1.1 ")
        writer.append(status)
        writer.append(" ")
        writer.appendSanitized(reason)
        writer.endLine()
        writer.fields(fields) { hopByHop.removes($0) ? .drop : .keep }
        if switching {
            writer.field("Connection", "upgrade")
        } else if closing {
            writer.field("Connection", "close")
        } else if clientVersion == .http10 {
            writer.field("Connection", "keep-alive")
        }
        writer.endLine()
    }
}
