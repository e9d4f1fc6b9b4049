// The request head the Ingress proxy writes to an endpoint: the client's request in
// origin-form, without hop-by-hop fields, with the X-Forwarded-* fields that tell the
// endpoint who asked and how. The body follows as received, so the framing fields are kept
// exactly; everything else about the connection (its version, whether it persists) is
// decided here and nowhere else.

/// What the proxy knows about the client's connection that the request does not say.
public struct HTTPForwardingContext: Sendable, Hashable {
    /// The client's address without port or brackets: "192.0.2.1" or "2001:db8::1".
    public var clientAddress: HTTPFieldValue
    /// `.http` or `.https`: how the client reached the listener.
    public var proto: HTTPFieldValue
    public var listenerPort: Int
    /// The X-Request-ID to send when the client sent none.
    public var generatedRequestID: HTTPRequestID
    /// The request is an Upgrade that the proxy forwards as a tunnel: `Connection: Upgrade`
    /// and the Upgrade field go with it. Set it only when `upgradeRequested` is true.
    public var tunnel: Bool

    public init(clientAddress: HTTPFieldValue, proto: HTTPFieldValue, listenerPort: Int, generatedRequestID: HTTPRequestID,
                tunnel: Bool = false) {
        self.clientAddress = clientAddress
        self.proto = proto
        self.listenerPort = listenerPort
        self.generatedRequestID = generatedRequestID
        self.tunnel = tunnel
    }
}

extension HTTPRequestHead {
    /// The head to write to the endpoint, request line to empty line.
    ///
    /// The version is the client's: an HTTP/1.0 request goes as HTTP/1.0 with
    /// `Connection: close`, so that the endpoint neither chunks its response nor keeps the
    /// connection; an HTTP/1.1 request goes without Connection (persistent), or with
    /// `Connection: Upgrade` when `context.tunnel`. An absolute-form target is sent in
    /// origin-form with its authority as Host. X-Forwarded-For gets the client appended to
    /// every earlier hop; X-Request-ID is kept if the client sent one.
    public func forwardedHead(_ context: HTTPForwardingContext) -> [UInt8] {
        HTTPHeadWriter.bytes(room: forwardedHeadRoom(context)) { writeForwardedHead(&$0, context) }
    }

    /// Writes `forwardedHead(context)` straight into `room` of `capacity` bytes: its
    /// length, or nil when it did not fit (`forwardedHeadRoom(context)` is room enough).
    public func writeForwardedHead(_ context: HTTPForwardingContext, into room: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        HTTPHeadWriter.write(into: room, capacity: capacity) { writeForwardedHead(&$0, context) }
    }

    /// Room for the forwarded head: the received fields, the request line's method and
    /// target, what the proxy's own fields take from the request and the context (the host,
    /// the client's address twice, the request ID's stem), and 256 bytes for the rest of
    /// them (their names, the port, the scheme, the ID's number, a Connection field).
    public func forwardedHeadRoom(_ context: HTTPForwardingContext) -> Int {
        HTTPHeadWriter.capacity(for: fields, extra: method.utf8.count + target.utf8.count + routingHost.utf8.count
                                    + 2 * context.clientAddress.text.utf8.count + context.generatedRequestID.stem.text.utf8.count + 256)
    }

    private func writeForwardedHead(_ writer: inout HTTPHeadWriter, _ context: HTTPForwardingContext) {
        let hopByHop = HTTPHopByHop(fields: fields, connection: connectionOptions, keepsUpgrade: context.tunnel)
        let authority = HTTPRequestTarget.absoluteForm(target.utf8).map { target[$0.authority] }
        writer.append(method)
        writer.append(" ")
        writer.append(originFormTarget)
        writer.append(" ")
        writer.append(version.description)
        writer.endLine()
        var earlierHops: [String] = []
        var sentHost = false
        var sentRequestID = false
        writer.fields(fields) { field in
            if hopByHop.removes(field) { return .drop }
            switch field.knownName {
            case .xForwardedFor:
                if field.valueCount > 0 { earlierHops.append(field.value) }
                return .drop
            case .host:
                sentHost = true
                return authority.map { .replaceValue($0) } ?? .keep
            case .xForwardedHost, .xForwardedProto, .xForwardedPort, .xRealIP:
                // Written by the proxy itself: the client's own are dropped, or an endpoint
                // that trusts them would believe whatever the client claims.
                return .drop
            case .xRequestID:
                sentRequestID = true
                return .keep
            default:
                return .keep
            }
        }
        if !sentHost, let authority { writer.field("Host", authority) }
        if context.tunnel {
            writer.field("Connection", "Upgrade")
        } else if version == .http10 {
            writer.field("Connection", "close")
        }
        writeForwardedFields(&writer, context, earlierHops: earlierHops, sentRequestID: sentRequestID)
        writer.endLine()
    }

    /// Whether the client's X-Request-ID goes on to the endpoint: it sent one, and its
    /// Connection field does not name it (which would make it hop-by-hop, dropped here). When
    /// not, the context's `generatedRequestID` is what the endpoint gets.
    public var forwardsItsRequestID: Bool {
        guard let index = fields.firstIndex(named: .xRequestID) else { return false }
        return !HTTPHopByHop(fields: fields, connection: connectionOptions, keepsUpgrade: upgradesToWebSocket).removes(fields[index])
    }

    private func writeForwardedFields(_ writer: inout HTTPHeadWriter, _ context: HTTPForwardingContext, earlierHops: [String],
                                      sentRequestID: Bool) {
        writer.append("X-Forwarded-For: ")
        for hop in earlierHops {
            writer.appendSanitized(hop)
            writer.append(", ")
        }
        writer.append(context.clientAddress.text)
        writer.endLine()
        let host = routingHost
        if !host.isEmpty { writer.field("X-Forwarded-Host", host) }
        writer.field("X-Forwarded-Proto", context.proto)
        writer.field("X-Forwarded-Port", context.listenerPort)
        writer.field("X-Real-IP", context.clientAddress)
        if !sentRequestID { writer.field("X-Request-ID", context.generatedRequestID) }
    }
}
