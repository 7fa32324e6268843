/// Little-endian integer encoding, as Clipper's RPC frames use it.
extension Array where Element == UInt8 {
    /// Appends `value` as 4 little-endian bytes.
    @inlinable
    public mutating func appendLittleEndian(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends `value` as 8 little-endian bytes.
    @inlinable
    public mutating func appendLittleEndian(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// Reads a little-endian unsigned integer of `width` bytes at `offset`; nil when out of range.
    @inlinable
    public func littleEndianInteger(at offset: Int, width: Int) -> UInt64? {
        guard offset >= startIndex, offset + width <= endIndex else { return nil }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }
}
