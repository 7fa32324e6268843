import ClipperRPC
import Testing
@testable import Cutter

struct PredictRequestTests {
    private func decode(_ json: String, _ type: InputType) throws(APIError) -> PredictRequest {
        try PredictRequest.decode(Array(json.utf8), type: type)
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    @Test func encodesEveryInputTypeInWireLayout() throws {
        #expect(try decode(#"{"input":[1.5, 2]}"#, .doubles).inputs == [le(1.5.bitPattern) + le(2.0.bitPattern)])
        #expect(try decode(#"{"input":[1.5]}"#, .floats).inputs == [le(Float(1.5).bitPattern)])
        #expect(try decode(#"{"input":[-3, 7]}"#, .integers).inputs == [le(Int32(-3)) + le(Int32(7))])
        #expect(try decode(#"{"input":"héllo"}"#, .strings).inputs == [Array("héllo".utf8)])
        #expect(try decode(#"{"input":"AAEC"}"#, .bytes).inputs == [[0, 1, 2]])
    }

    @Test func batchKeepsOrderAndSingleIsNotABatch() throws {
        let batch = try decode(#"{"input_batch":["a","b","c"]}"#, .strings)
        #expect(batch.isBatch && batch.inputs == [[97], [98], [99]])
        #expect(try decode(#"{"input":"a","uid":7}"#, .strings).uid == 7)
        #expect(try !decode(#"{"input":"a"}"#, .strings).isBatch)
    }

    @Test func badInputsAreJSONErrors() {
        let bad: [(String, InputType)] = [
            (#"{"input":[1.0"#, .doubles), (#"{"inputs":[1.0]}"#, .doubles), (#"{"input":"x"}"#, .doubles),
            (#"{"input":["x"]}"#, .doubles), (#"{"input":[1.5]}"#, .integers), (#"{"input":[3000000000]}"#, .integers),
            (#"{"input":[1]}"#, .strings), (#"{"input":"not base64!"}"#, .bytes), (#"{"input_batch":[]}"#, .doubles),
            (#"{"input":[]}"#, .doubles), (#"[1]"#, .doubles), (#"{"input":[1e999]}"#, .doubles),
            (#"{"input":"a","uid":"x"}"#, .strings),
        ]
        for (json, type) in bad {
            do {
                _ = try decode(json, type)
                Issue.record("accepted \(json) for \(type)")
            } catch {
                #expect(error.status == 400 && error.error == "Json error", "\(json)")
            }
        }
    }
}

struct JSONParserTests {
    @Test func parsesTheGrammar() throws {
        let value = try JSONParser.parse(Array(#" {"a": [1, -2.5e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#.utf8))
        #expect(value == .object(["a": .array([.number(1, isInteger: true), .number(-2500, isInteger: false), .bool(true), .bool(false), .null,
                                               .string("x\né😀")]), "b": .object([:])]))
    }

    @Test func rejectsWhatRFC8259Rejects() {
        for text in ["", "01", "1.", ".5", "[1,]", "{\"a\" 1}", "\"\\x\"", "\"\u{01}\"", "tru", "[1] 2", "\"\\ud800\"", "-"] {
            #expect(throws: JSONParser.ParseError.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.ParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}

struct FastNumberTests {
    @Test func fastPathAgreesWithStrtod() {
        var random = SplitMix64(seed: 3)
        var samples = ["0", "-0", "1", "1.5", "0.1", "0.3", "123456789012345", "1e22", "1.7976931348623157e308", "5e-324",
                       "2.2250738585072014e-308", "9007199254740993", "0.000001", "-12.75e-3", "3.14159265358979"]
        for _ in 0..<5000 {
            let integer = Int.random(in: -1_000_000...1_000_000, using: &random)
            let fraction = Int.random(in: 0...99_999_999, using: &random)
            samples.append("\(integer).\(fraction)")
            samples.append("\(integer)e\(Int.random(in: -30...30, using: &random))")
        }
        for text in samples {
            guard case .number(let value, _) = try? JSONParser.parse(Array(text.utf8)) else { Issue.record("\(text) did not parse"); continue }
            #expect(value == Double(text)!, "\(text)")
        }
    }
}
