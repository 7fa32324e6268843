/// A growable byte buffer at a fixed address, for replies handed to `writev`: an Array's
/// storage may only be pointed at inside a closure, and a pipelined flush needs several replies'
/// pointers at once. Reused from reply to reply, so the steady state allocates nothing.
final class OutputBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private var capacity: Int
    /// A buffer grown past this by a large reply is shrunk back when emptied, so that idle
    /// pooled buffers stay small.
    private static let retainedCapacity = 64 << 10

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 1)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func removeAll() {
        count = 0
        if capacity > Self.retainedCapacity {
            base.deallocate()
            capacity = 1024
            base = .allocate(byteCount: capacity, alignment: 1)
        }
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    func append(_ text: StaticString) {
        text.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func append(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) == nil {
            reserve(bytes.count)
            for byte in bytes {
                base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
                count += 1
            }
        }
    }

    /// Appends `value` in decimal.
    func append(decimal value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes on the stack: room for any Int
        withUnsafeMutableBytes(of: &digits) { scratch in
            var remaining = value.magnitude
            var start = scratch.count
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            if value < 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "-")
            }
            append(UnsafeRawBufferPointer(rebasing: scratch[start...]))
        }
    }

    private func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 1)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
