import ClipperRPC
import Testing
@testable import CutterContainer

/// Each input type decoded from the bytes Cutter's frontend sends.
struct ModelInputTests {
    private func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    @Test func numbersAreLittleEndian() throws {
        #expect(try [Double](rpcPayload: bytes([Double(1.5).bitPattern, Double(-2.0).bitPattern])) == [1.5, -2.0])
        #expect(try [Float](rpcPayload: bytes([Float(0.25).bitPattern])) == [0.25])
        #expect(try [Int32](rpcPayload: bytes([UInt32(3), UInt32(bitPattern: -4)])) == [3, -4])
        #expect(try [Double](rpcPayload: []) == [])
    }

    @Test func bytesAndStringsArriveAsTheyWereSent() throws {
        #expect(try [UInt8](rpcPayload: [0, 1, 255]) == [0, 1, 255])
        #expect(try String(rpcPayload: Array("héllo".utf8)) == "héllo")
    }

    @Test func eachTypeNamesItsClipperInputType() {
        #expect([Double].inputType == .doubles)
        #expect([Float].inputType == .floats)
        #expect([Int32].inputType == .integers)
        #expect([UInt8].inputType == .bytes)
        #expect(String.inputType == .strings)
    }

    @Test func refusesPayloadsOfTheWrongShape() {
        #expect(throws: ModelInputError.self) { try [Double](rpcPayload: [1, 2, 3]) }
        #expect(throws: ModelInputError.self) { try [Float](rpcPayload: [1, 2, 3, 4, 5]) }
        #expect(throws: ModelInputError.self) { try [Int32](rpcPayload: [1]) }
        #expect(throws: ModelInputError.self) { try String(rpcPayload: [0xC3, 0x28]) }
    }
}
