import Glibc

/// One client connection of an `HTTPServer`: reads requests with an `HTTPRequestDecoder`, hands
/// them to the server's handler in order, and writes the replies back in the same order, however
/// the handler's answers interleave (pipelining). It holds no more than `maxPipelined` requests at
/// a time: past that it stops reading until replies drain.
///
/// One timer per connection, armed for the nearest deadline and not touched per request, closes
/// slow senders (head deadline) and idle or stuck connections (idle timeout).
final class HTTPConnection: SocketEventHandler {
    /// Requests read ahead of their replies before the connection stops reading.
    static let maxPipelined = 16
    /// Answered exchanges kept for reuse.
    private static let maxSpare = 4

    private unowned let server: HTTPServer
    let fd: Int32
    private var events: SocketEvents!
    private var decoder: HTTPRequestDecoder
    /// Exchanges in request order: handed to the handler, answered, or being written.
    private var queue: [HTTPExchange] = []
    /// Bytes of `queue[0]`'s reply already written.
    private var writtenOfFirst = 0
    private var spare: [HTTPExchange] = []
    /// Set by a request that ends the connection (Connection: close, an error) or by the client
    /// closing its side: read no more.
    private var readsNoMore = false
    /// The client closed its side: close once the replies of what it sent are written.
    private var closesWhenAnswered = false
    private var isDecoding = false
    private(set) var isClosed = false
    private var timer: LoopTimer!
    private var timerDue: UInt64 = 0
    /// When the head being read began to arrive; nil when no head is being read.
    private var headStartedAt: UInt64?
    /// When the connection last did something: a byte read, a request completed, a byte written.
    private var lastActivity: UInt64

    init(server: HTTPServer, loop: EventLoop, fd: Int32) {
        self.server = server
        self.fd = fd
        decoder = HTTPRequestDecoder(maxHeadBytes: server.limits.maxHeadBytes, maxBodyBytes: server.limits.maxBodyBytes)
        lastActivity = loop.now
        queue.reserveCapacity(Self.maxPipelined + 1)
        spare.reserveCapacity(Self.maxSpare)
        events = SocketEvents(loop: loop, fd: fd, handler: self)
        timer = LoopTimer(loop: loop) { [unowned self] in withExtendedLifetime(self) { timerFired() } }
        arm(at: lastActivity + min(server.limits.headTimeoutNanoseconds, server.limits.idleTimeoutNanoseconds))
        events.setReading(true)
    }

    // MARK: Reading

    func socketReadable() {
        withExtendedLifetime(self) { readAndDecode() }
    }

    private func readAndDecode() {
        let count = decoder.receive { space in Glibc.read(fd, space.baseAddress, space.count) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard count > 0 else {
            // End of stream: a client may send its last request and close its side (half-close);
            // the replies it waits for still go out.
            guard count == 0 && !queue.isEmpty else { return close() }
            readsNoMore = true
            closesWhenAnswered = true
            events.setReading(false)
            return
        }
        lastActivity = server.now
        decodeRequests()
    }

    /// Takes every complete request out of the decoder and hands it on, while the pipeline has room.
    private func decodeRequests() {
        guard !isDecoding else { return }
        isDecoding = true
        defer { isDecoding = false }
        while !isClosed && !readsNoMore && queue.count < Self.maxPipelined {
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                server.report(error, from: self)
                refuse(error)
                break
            }
            guard let event else { break }
            switch event {
            case .continueExpected:
                // A client waiting for 100 Continue sends nothing else meanwhile, so an earlier
                // reply still in the queue would be answered first anyway; send it only when none is.
                if queue.isEmpty { writeInterim() }
            case .request:
                let exchange = enqueue()
                decoder.takeRequest(into: &exchange.request)
                exchange.begin(on: self, arrival: server.now)
                if !exchange.request.keepAlive { readsNoMore = true }
                server.dispatch(exchange)
            }
        }
        guard !isClosed else { return }
        if decoder.isReadingHead {
            if headStartedAt == nil {
                let now = server.now
                headStartedAt = now
                if timerDue > now + server.limits.headTimeoutNanoseconds { arm(at: now + server.limits.headTimeoutNanoseconds) }
            }
        } else {
            headStartedAt = nil
        }
        events.setReading(!readsNoMore && queue.count < Self.maxPipelined)
    }

    /// A pooled exchange nothing else holds, or a new one, appended to the queue.
    private func enqueue() -> HTTPExchange {
        var exchange: HTTPExchange?
        while exchange == nil, var candidate = spare.popLast() {
            if isKnownUniquelyReferenced(&candidate) {
                exchange = candidate
            } else {
                candidate.connection = nil
            }
        }
        let chosen = exchange ?? HTTPExchange()
        queue.append(chosen)
        return chosen
    }

    /// Answers `error` in its turn and closes the connection after it; reads nothing more.
    private func refuse(_ error: APIError) {
        readsNoMore = true
        events.setReading(false)
        let exchange = enqueue()
        exchange.request.reset()
        exchange.begin(on: self, arrival: server.now)
        exchange.respondAndClose(error)
    }

    private func writeInterim() {
        let sent = Self.continueLine.withUTF8Buffer { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent < 0 && errno != EAGAIN { close() }
    }

    private static let continueLine: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    // MARK: Writing

    /// An exchange of this connection has its reply: write what the queue order allows.
    func replyReady(_ exchange: HTTPExchange) {
        if exchange === queue.first { flush() }
    }

    /// Writes the `Date` line of a reply with `status`, and counts the reply.
    func startReply(status: Int, into reply: OutputBuffer) {
        server.onReply?(status)
        server.appendDateHeader(to: reply)
    }

    func socketWritable() {
        withExtendedLifetime(self) { flush() }
    }

    /// Requests read and not yet fully answered on the wire (a draining shutdown waits for them).
    var requestsInFlight: Int { queue.count }

    /// Writes the answered replies at the head of the queue, several in one writev, and keeps
    /// writing while the socket takes them.
    private func flush() {
        while !isClosed, let first = queue.first, first.isAnswered {
            let written = withUnsafeTemporaryAllocation(of: iovec.self, capacity: Self.maxPipelined) { vectors in
                var count = 0
                for exchange in queue {
                    guard exchange.isAnswered && count < vectors.count else { break }
                    let skip = count == 0 ? writtenOfFirst : 0
                    vectors[count] = iovec(iov_base: exchange.reply.base + skip, iov_len: exchange.reply.count - skip)
                    count += 1
                }
                return Glibc.writev(fd, vectors.baseAddress, Int32(count))
            }
            guard written >= 0 else {
                if errno == EAGAIN || errno == EINTR { events.setWriting(true) } else { close() }
                return
            }
            lastActivity = server.now
            guard consume(written) else { return }
        }
        events.setWriting(false)
        guard !isClosed else { return }
        if decoder.hasBufferedBytes { decodeRequests() } else { events.setReading(!readsNoMore && queue.count < Self.maxPipelined) }
    }

    /// Drops `written` bytes from the front of the queue's replies; false if the connection
    /// closed (a reply that ends it was written).
    private func consume(_ written: Int) -> Bool {
        var remaining = written
        while let first = queue.first, first.isAnswered, remaining >= first.reply.count - writtenOfFirst {
            remaining -= first.reply.count - writtenOfFirst
            writtenOfFirst = 0
            queue.removeFirst()
            if first.closesConnection || (closesWhenAnswered && queue.isEmpty) {
                close()
                return false
            }
            if spare.count < Self.maxSpare { spare.append(first) } else { first.connection = nil }
        }
        writtenOfFirst += remaining
        if writtenOfFirst > 0 { events.setWriting(true) }
        return writtenOfFirst == 0
    }

    // MARK: Deadlines

    private func arm(at due: UInt64) {
        timerDue = due
        let now = server.now
        timer.arm(after: due > now ? due - now : 0)
    }

    private func timerFired() {
        guard !isClosed else { return }
        let now = server.now
        let limits = server.limits
        if let headStartedAt, now >= headStartedAt + limits.headTimeoutNanoseconds {
            server.reportHeadTimeout(from: self)
            self.headStartedAt = nil
            arm(at: now + limits.idleTimeoutNanoseconds)
            return refuse(APIError(status: 408, error: "Request timeout",
                                   cause: "The request head did not arrive within http_header_timeout_seconds."))
        }
        // Idle: nothing is with the handler, or a reply is stuck on a client that does not read.
        let idle = queue.isEmpty || events.isWriting == true
        if idle && now >= lastActivity + limits.idleTimeoutNanoseconds {
            server.reportIdleClose(from: self)
            return close()
        }
        var due = (idle ? lastActivity : now) + limits.idleTimeoutNanoseconds
        if let headStartedAt { due = min(due, headStartedAt + limits.headTimeoutNanoseconds) }
        arm(at: due)
    }

    // MARK: Closing

    /// Closes the socket. Replies of requests still with the handler are dropped.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        // The events stay allocated until deinit: this may run inside one of their callbacks.
        events.setReading(false)
        events.setWriting(false)
        timer.cancel()
        Glibc.close(fd)
        queue.forEach { $0.connection = nil }
        spare.forEach { $0.connection = nil }
        queue.removeAll()
        spare.removeAll()
        server.connectionClosed(self)
    }

    /// The client's address, for log lines.
    var peer: String { SocketAddress.peer(of: fd) }
}
