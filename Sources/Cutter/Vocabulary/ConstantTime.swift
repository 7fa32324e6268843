/// Comparison of secrets whose time does not depend on where they differ, so that a client
/// cannot find a token or a container secret byte by byte by timing refusals.
enum ConstantTime {
    /// Whether `given` equals `secret`. The time depends only on the lengths.
    static func equals(_ given: some Collection<UInt8>, _ secret: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: given.count ^ secret.count) | (given.count == secret.count ? 0 : 1)
        var secretBytes = secret.makeIterator()
        for byte in given {
            difference |= byte ^ (secretBytes.next() ?? 0)
        }
        return difference == 0
    }
}
