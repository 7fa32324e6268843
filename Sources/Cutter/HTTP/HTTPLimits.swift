/// The bounds an HTTP server keeps on what its clients send and hold, each a setting of its own
/// (see CutterConfiguration). When one bites, the server logs it.
struct HTTPLimits: Sendable {
    /// Largest request head (request line and header fields); a longer one gets 431.
    var maxHeadBytes = 64 << 10
    /// Largest request body; a longer one gets 413 and the connection closes.
    var maxBodyBytes = 8 << 20
    /// Open connections per port; a client over it gets 503 at once and is closed.
    var maxConnections = 4096
    /// Time from a request head's first byte to its end; a slower sender gets 408 and is closed.
    var headTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// Time a connection may sit with nothing to do (no request, no body byte, no reply
    /// progress) before it is closed.
    var idleTimeoutNanoseconds: UInt64 = 60_000_000_000
}
