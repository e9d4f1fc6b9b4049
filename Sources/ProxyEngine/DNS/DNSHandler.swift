// The cluster DNS on a worker's loop. UDP queries are answered from the zone on arrival,
// through the listener they came in on (so answers come from the address queried); TCP
// clients send any number of framed queries (DNSTCPClient). Names outside the zone, and
// the targets of ExternalName Services, are asked of the upstreams (DNSUpstreamQuery):
// one attempt at a time, the next upstream after a timeout, TCP after a truncated answer,
// SERVFAIL when all have failed. Every table here is bounded: TCP clients and queries in
// flight per worker.
import DNS
import LinuxIO
import Logging
import ServiceConfig

final class DNSHandler {
    static let datagramsPerEvent = 64
    /// Queries read (and answers sent) per system call.
    static let batchSize = 32
    /// The largest UDP query taken (EDNS0 clients send a few hundred bytes at most), and the
    /// largest UDP answer (`--dns-udp-size` is at most 4096).
    static let udpQuerySize = 4096
    static let udpAnswerSize = 4096
    /// Room for the largest DNS message over UDP or TCP.
    static let bufferSize = 65_536
    static let maximumTCPClients = 512
    static let maximumPending = 2048
    static let tcpIdleTimeout: UInt64 = 10_000_000_000
    /// How long one upstream has to answer before the next is asked (CoreDNS's forward
    /// plugin waits 2 s for a reply, as does glibc between its nameservers... at 5 s).
    static let upstreamTimeout: UInt64 = 2_000_000_000

    let loop: EventLoop
    let counters: DNSCounters
    /// The newest zone: TCP clients ask it for each query, so a reload reaches them too.
    var current: DNSService?
    private(set) var clients = SlotTable<DNSTCPClient>()
    private(set) var pending = SlotTable<DNSUpstreamQuery>()
    private var rotation = 0
    private var random = SystemRandomNumberGenerator()
    private let buffer: UnsafeMutableRawPointer
    private let batch = DatagramBatch(capacity: DNSHandler.batchSize, slotSize: DNSHandler.udpQuerySize,
                                      replySize: DNSHandler.udpAnswerSize)
    /// Where UDP answers from the zone are written, reused by every query.
    private var answers = DNSAnswerBuffer()

    init(loop: EventLoop, counters: DNSCounters) {
        self.loop = loop
        self.counters = counters
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    var openCount: Int { clients.count + pending.count }

    // MARK: UDP

    /// Queries on a UDP listener, a batch at a time: each is answered from the zone into the
    /// batch's reply slots, and the answers go out together (or upstream, one by one).
    func receive(on listener: WorkerListener, service: DNSService) {
        let now = MonotonicClock.now()
        for _ in 0..<(Self.datagramsPerEvent / Self.batchSize) {
            let received: Int
            do {
                guard case .done(let count) = try batch.receive(from: listener.descriptor) else { return }
                received = count
            } catch {
                loop.logLimited(.notice, event: .dnsFailed, subject: "\(listener.address)",
                                "Failed to receive a DNS query on \(listener.address): \(error)")
                return
            }
            for index in 0..<received {
                guard !batch.isTruncated(index), let peer = batch.sender(index) else {
                    counters.dropped.bump()
                    continue
                }
                rotation &+= 1
                let resolution = service.zone.resolve(batch.datagram(index), transport: .udp, rotation: rotation, into: &answers)
                if case .written(let outcome) = resolution, answers.bytes.count <= batch.replySize {
                    counters.queries.bump(DNSTypeLabel.slot(of: outcome.type))
                    count(outcome)
                    batch.replyBuffer(index).copyMemory(from: answers.bytes)
                    batch.reply(to: index, length: answers.bytes.count)
                } else {
                    handle(resolution, service: service, reply: .udp(listener, peer), now: now)
                }
            }
            batch.sendReplies(on: listener.descriptor)
            if received < Self.batchSize { return }
        }
    }

    private func handle(_ resolution: DNSResolution, service: DNSService, reply: DNSReplyTarget, now: UInt64) {
        switch resolution {
        case .answer(let answer, let outcome):
            counters.queries.bump(DNSTypeLabel.slot(of: outcome.type))
            send(answer, outcome: outcome, to: reply)
        case .written(let outcome):
            counters.queries.bump(DNSTypeLabel.slot(of: outcome.type))
            send(answers.bytes, outcome: outcome, to: reply)
        case .forward(let forward):
            counters.queries.bump(DNSTypeLabel.slot(of: forward.type))
            ask(.forward(forward), service: service, reply: reply, now: now)
        case .chase(let chase):
            counters.queries.bump(DNSTypeLabel.slot(of: chase.forward.type))
            ask(.chase(chase), service: service, reply: reply, now: now)
        case .drop:
            counters.dropped.bump()
        }
    }

    /// Counts an answer of the zone by its response code, and whether it was truncated.
    private func count(_ outcome: DNSOutcome) {
        counters.responses.bump(DNSCodeLabel.slot(of: outcome.rcode))
        if outcome.truncated { counters.truncated.bump() }
    }

    /// Counts an answer made elsewhere (relayed, or a failure) by the code in its header.
    private func count(_ answer: UnsafeRawBufferPointer, overUDP: Bool) {
        if let code = DNSWire.headerRCode(of: answer) { counters.responses.bump(DNSCodeLabel.slot(of: code)) }
        if overUDP, DNSWire.isTruncated(answer) { counters.truncated.bump() }
    }

    private func send(_ answer: [UInt8], outcome: DNSOutcome? = nil, to reply: DNSReplyTarget) {
        answer.withUnsafeBytes { send($0, outcome: outcome, to: reply) }
    }

    /// Sends an answer to whoever asked, counting it: by the zone's `outcome` for its own
    /// answers, by the header for others.
    private func send(_ answer: UnsafeRawBufferPointer, outcome: DNSOutcome?, to reply: DNSReplyTarget) {
        if let outcome { count(outcome) } else { count(answer, overUDP: reply.isUDP) }
        switch reply {
        case .udp(let listener, let client):
            // A full socket buffer loses the answer as the network would: the client asks again.
            guard let start = answer.baseAddress else { return }
            _ = try? listener.descriptor.sendDatagram(from: start, count: answer.count, to: client)
        case .tcp(let slot, let tag):
            guard let client = clients[slot], client.tag == tag else { return }  // gone meanwhile
            client.pending -= 1
            client.queue(answer)
            writeOut(client)
            // From upstream, outside the serving loop: the client may take more now.
            if clients[slot] === client { serve(client, now: MonotonicClock.now()) }
        }
    }

    // MARK: TCP clients

    /// A new TCP client, or a refusal when the worker has as many as it takes.
    func admit(_ accepted: consuming AcceptedConnection) {
        let socket = accepted.takeSocket()
        guard clients.count < Self.maximumTCPClients else {
            counters.tcpRefused.bump()
            try? socket.setResetOnClose()
            return
        }
        let now = MonotonicClock.now()
        let client = DNSTCPClient(slot: clients.reserveSlot(), tag: loop.nextTag(), socket: socket, now: now)
        clients.insert(client)
        counters.tcpConnections.bump()
        arm(client, at: now + Self.tcpIdleTimeout)
        serve(client, now: now)  // the first query is usually here already
    }

    func clientEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let client = clients[slot], client.tag == tag else { return }
        if events.contains(.writable) { writeOut(client) }
        guard clients[slot] === client else { return }
        serve(client, now: MonotonicClock.now())
    }

    /// Takes the client's queries, those already read first, then reads more, for as long
    /// as its bounds allow: at most 64 answers upstream and 256 KiB unwritten. Answers that
    /// come meanwhile (from the zone at once, or upstream later) only queue and write; the
    /// serving loop is never entered again from inside itself.
    private func serve(_ client: DNSTCPClient, now: UInt64) {
        guard !client.serving else { return }
        client.serving = true
        defer { client.serving = false }
        while clients[client.slot] === client {
            while client.wantsToRead, let query = client.nextQuery() {
                guard let service = current else { return close(client) }
                client.lastActivity = now  // a whole query: a trickle of bytes keeps nobody alive
                rotation &+= 1
                client.pending += 1
                let resolution = query.withUnsafeBytes { service.zone.resolve($0, transport: .tcp, rotation: rotation, into: &answers) }
                if case .drop = resolution { client.pending -= 1 }
                handle(resolution, service: service, reply: .tcp(slot: client.slot, tag: client.tag), now: now)
                guard clients[client.slot] === client else { return }
            }
            if client.isMalformed { return close(client) }
            client.compact()
            guard client.wantsToRead else { break }
            let count: Int
            do {
                guard case .done(let read) = try client.socket.read(into: buffer, count: Self.bufferSize) else { break }
                count = read
            } catch {
                return close(client)
            }
            guard count > 0 else {
                client.readEnded = true
                break
            }
            client.incoming.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: count))
        }
        updateInterest(client)
    }

    /// Writes what the client has waiting, as far as its socket takes it.
    private func writeOut(_ client: DNSTCPClient) {
        while client.unwritten > 0 {
            let result = Result { () throws(Errno) in try client.socket.write(client.outgoing, from: client.written) }
            switch result {
            case .success(.done(let count)): client.written += count
            case .success(.wouldBlock): return client.compactOutgoing()
            case .failure: return close(client)
            }
        }
        client.compactOutgoing()
    }

    private func updateInterest(_ client: DNSTCPClient) {
        var wanted: EpollEvents = []
        if client.wantsToRead { wanted.insert(.readable) }
        if client.unwritten > 0 { wanted.insert(.writable) }
        if client.isFinished { return close(client) }
        do {
            try loop.watch(client.socket.rawValue, current: client.interest, wanted: wanted, token: client.token)
            client.interest = wanted
        } catch {
            close(client)
        }
    }

    private func close(_ client: DNSTCPClient) {
        guard clients[client.slot] === client else { return }
        clients.remove(client)  // its socket closes with it; answers still upstream find it gone
    }

    // MARK: Upstreams

    private func ask(_ request: DNSUpstreamRequest, service: DNSService, reply: DNSReplyTarget, now: UInt64) {
        guard pending.count < Self.maximumPending else {
            counters.forwardEnded(.limit, nanoseconds: 0)
            return send(request.failure(), to: reply)
        }
        attempt(request, service: service, reply: reply, upstreamIndex: 0, overTCP: false, started: now, now: now)
    }

    /// Asks upstream `upstreamIndex`, or the next that can be asked; SERVFAIL after the last.
    private func attempt(_ request: DNSUpstreamRequest, service: DNSService, reply: DNSReplyTarget, upstreamIndex: Int,
                         overTCP: Bool, started: UInt64, now: UInt64) {
        var index = upstreamIndex
        while index < service.upstreams.count {
            if start(request, service: service, reply: reply, upstreamIndex: index, overTCP: overTCP, started: started, now: now) {
                return
            }
            index += 1
        }
        counters.forwardEnded(.failed, nanoseconds: now &- started)
        send(request.failure(), to: reply)
    }

    /// Opens the attempt's socket and sends its query; false if that failed at once.
    private func start(_ request: DNSUpstreamRequest, service: DNSService, reply: DNSReplyTarget, upstreamIndex: Int,
                       overTCP: Bool, started: UInt64, now: UInt64) -> Bool {
        let upstream = service.upstreams[upstreamIndex]
        let id = UInt16.random(in: .min ... .max, using: &random)
        let message = request.query(id: id)
        let query: DNSUpstreamQuery
        do {
            let socket: FileDescriptor
            if overTCP { socket = try FileDescriptor.tcpSocket(for: upstream) } else { socket = try FileDescriptor.udpSocket(for: upstream) }
            // A UDP socket's connect is immediate: it fixes the peer, so only it is heard.
            let connected = if case .done = try socket.connect(to: upstream) { true } else { false }
            if !overTCP {
                guard case .done = try socket.sendDatagram(message) else { return false }
            }
            query = DNSUpstreamQuery(slot: pending.reserveSlot(), tag: loop.nextTag(), socket: socket, request: request, reply: reply,
                                     service: service, upstreamIndex: upstreamIndex, overTCP: overTCP, id: id, started: started,
                                     deadline: now + Self.upstreamTimeout)
            query.connected = connected
        } catch {
            loop.logLimited(.notice, event: .dnsFailed, subject: "\(upstream)", "Failed to ask upstream nameserver \(upstream): \(error)")
            return false
        }
        if overTCP { query.outgoing.appendTCPFramed(message) }
        pending.insert(query)
        do {
            try loop.epoll.add(query.socket.rawValue, wanted: overTCP ? .writable : .readable, token: query.token.rawValue)
        } catch {
            pending.remove(query)
            return false
        }
        loop.timers.schedule(.init(deadline: query.deadline, slot: query.slot, tag: query.tag, kind: .dnsUpstream))
        return true
    }

    func upstreamEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let query = pending[slot], query.tag == tag else { return }
        if query.overTCP { tcpEvent(query, events) } else { udpAnswers(query) }
    }

    private func udpAnswers(_ query: DNSUpstreamQuery) {
        for _ in 0..<Self.datagramsPerEvent {
            let received: ReceivedDatagram
            do {
                guard case .done(let datagram) = try query.socket.receiveDatagram(into: buffer, count: Self.bufferSize) else { return }
                received = datagram
            } catch {
                return failed(query)  // ICMP port unreachable: nobody serves DNS there
            }
            guard !received.isTruncated(capacity: Self.bufferSize) else { continue }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: received.length)
            guard let answer = query.request.response(from: bytes, id: query.id) else { continue }  // not our answer: wait on
            if DNSWire.isTruncated(bytes) {
                // Too big for UDP: the same upstream, whole, over TCP.
                counters.upstreamTCPRetries.bump()
                end(query)
                return attempt(query.request, service: query.service, reply: query.reply, upstreamIndex: query.upstreamIndex,
                               overTCP: true, started: query.started, now: MonotonicClock.now())
            }
            return answered(query, answer)
        }
    }

    private func tcpEvent(_ query: DNSUpstreamQuery, _ events: EpollEvents) {
        if !query.connected {
            guard (try? query.socket.pendingError()) == .some(nil) else { return failed(query) }
            query.connected = true
        }
        while query.written < query.outgoing.count {
            let result = Result { () throws(Errno) in try query.socket.write(query.outgoing, from: query.written) }
            switch result {
            case .success(.done(let count)): query.written += count
            case .success(.wouldBlock): return
            case .failure: return failed(query)
            }
            if query.written == query.outgoing.count {
                guard (try? loop.epoll.modify(query.socket.rawValue, wanted: .readable, token: query.token.rawValue)) != nil else {
                    return failed(query)
                }
            }
        }
        while true {
            let count: Int
            do {
                guard case .done(let read) = try query.socket.read(into: buffer, count: Self.bufferSize) else { return }
                count = read
            } catch {
                return failed(query)
            }
            guard count > 0 else { return failed(query) }  // closed before the whole answer
            query.incoming.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: count))
            if let message = query.tcpAnswer {
                let answer = message.withUnsafeBytes { query.request.response(from: $0, id: query.id) }
                return answer.map { answered(query, $0) } ?? failed(query)
            }
        }
    }

    private func answered(_ query: DNSUpstreamQuery, _ answer: [UInt8]) {
        end(query)
        counters.forwardEnded(.answered, nanoseconds: MonotonicClock.now() &- query.started)
        send(answer, to: query.reply)
    }

    /// This attempt failed: the next upstream is asked, over UDP again.
    private func failed(_ query: DNSUpstreamQuery) {
        end(query)
        attempt(query.request, service: query.service, reply: query.reply, upstreamIndex: query.upstreamIndex + 1,
                overTCP: false, started: query.started, now: MonotonicClock.now())
    }

    private func end(_ query: DNSUpstreamQuery) {
        guard pending[query.slot] === query else { return }
        pending.remove(query)  // its socket closes with it
    }

    // MARK: Timers

    private func arm(_ client: DNSTCPClient, at deadline: UInt64) {
        client.timerDeadline = deadline
        loop.timers.schedule(.init(deadline: deadline, slot: client.slot, tag: client.tag, kind: .dnsClient))
    }

    func timerFired(_ entry: TimerQueue.Entry, now: UInt64) {
        guard isLive(entry) else { return }
        switch entry.kind {
        case .dnsUpstream:
            if let query = pending[entry.slot] { failed(query) }
        default:
            guard let client = clients[entry.slot] else { return }
            let due = client.lastActivity + Self.tcpIdleTimeout
            if due > now || client.pending > 0 {
                arm(client, at: max(due, now + 1_000_000_000))  // busy since, or answers still coming
            } else {
                close(client)
            }
        }
    }

    func isLive(_ entry: TimerQueue.Entry) -> Bool {
        switch entry.kind {
        case .dnsUpstream:
            guard let query = pending[entry.slot] else { return false }
            return query.tag == entry.tag && query.deadline == entry.deadline
        default:
            guard let client = clients[entry.slot] else { return false }
            return client.tag == entry.tag && client.timerDeadline == entry.deadline
        }
    }

    /// Ends every client and query (at shutdown).
    func closeAll() {
        for client in clients.all { close(client) }
        for query in pending.all { end(query) }
    }
}

extension FileDescriptor {
    /// Writes `bytes` from `offset` on; returns how many were taken.
    fileprivate func write(_ bytes: [UInt8], from offset: Int) throws(Errno) -> IOResult<Int> {
        try bytes.withUnsafeBytes { buffer -> Result<IOResult<Int>, Errno> in
            guard let start = buffer.baseAddress, offset < buffer.count else { return .success(.done(0)) }
            return Result { () throws(Errno) in try write(from: start + offset, count: buffer.count - offset) }
        }.get()
    }

    /// Sends `message` as one datagram, to `address` or the connected peer.
    fileprivate func sendDatagram(_ message: [UInt8], to address: SocketAddress? = nil) throws(Errno) -> IOResult<Int> {
        try message.withUnsafeBytes { buffer -> Result<IOResult<Int>, Errno> in
            guard let start = buffer.baseAddress else { return .success(.done(0)) }
            return Result { () throws(Errno) in try sendDatagram(from: start, count: buffer.count, to: address) }
        }.get()
    }
}
