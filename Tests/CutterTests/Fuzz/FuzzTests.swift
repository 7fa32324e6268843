import ClipperRPC
import Foundation
import Testing
@testable import Cutter

/// A corpus-driven fuzzer for the parsers that face the network: the HTTP/1.1 request decoder,
/// the predict and feedback JSON, the ZMTP decoder and the RPC message decoder. Each run mutates the checked-in
/// seeds (Fuzz/Corpus) with a seeded generator and feeds the results to the parser, which must
/// answer with a value or its own error, never crash, hang or take more than its input.
///
/// The test command runs a short pass; `scripts/fuzz.sh` runs a long one in a release build
/// (CUTTER_FUZZ_ITERATIONS, CUTTER_FUZZ_SEED).
struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["CUTTER_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3_000
    static let seed = ProcessInfo.processInfo.environment["CUTTER_FUZZ_SEED"].flatMap(UInt64.init) ?? 1

    static func corpus(_ name: String) throws -> [[UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/" + name)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try files.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// One mutant of a seed: 1 to 4 edits among bit flips, byte sets, interesting bytes,
    /// insertions, deletions, duplications and splices with another seed.
    static func mutate(_ seeds: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        let interesting: [UInt8] = [0, 0xFF, 0x7F, 0x80, 0x22, 0x5C, 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3A, 0x2D, 0x2E, 0x65, 0x30, 0x39, 0x01, 0x02, 0x04]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 2 where !bytes.isEmpty: bytes[index] = interesting[Int.random(in: 0..<interesting.count, using: &random)]
            case 3: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: index)
            case 4 where !bytes.isEmpty: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...16, using: &random)))
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, index + Int.random(in: 1...32, using: &random))
                bytes.insert(contentsOf: bytes[index..<end], at: end)
            default:
                let other = seeds[Int.random(in: 0..<seeds.count, using: &random)]
                if !other.isEmpty { bytes = Array(bytes.prefix(index)) + other[Int.random(in: 0..<other.count, using: &random)...] }
            }
        }
        return bytes
    }

    /// Besides not crashing, the HTTP decoder must decode a mutant to the same requests whole and
    /// cut in random pieces, and refuse only with the statuses it documents.
    @Test func httpRequestDecoder() throws {
        let seeds = try Self.corpus("http")
        var random = SplitMix64(seed: Self.seed &+ 3)
        var requests = 0
        var refusals = 0
        let statuses: Set<Int> = [400, 413, 417, 431, 501, 505]
        for _ in 0..<Self.iterations {
            let bytes = Self.mutate(seeds, &random)
            let whole = DecodedRequest.decode(bytes, maxHeadBytes: 512, maxBodyBytes: 256)
            var cuts: [Int] = []
            var offset = 0
            while offset < bytes.count {
                offset += Int.random(in: 1...16, using: &random)
                cuts.append(min(offset, bytes.count))
            }
            let pieces = DecodedRequest.decode(bytes, cuts: cuts, maxHeadBytes: 512, maxBodyBytes: 256)
            // Only whether 100 Continue is asked may differ: it depends on what has arrived.
            #expect(pieces.requests == whole.requests && pieces.error == whole.error, "decoded differently when cut: \(bytes)")
            if let error = whole.error {
                #expect(statuses.contains(error.status), "\(error)")
                refusals += 1
            }
            requests += whole.requests.count
        }
        #expect(requests > 0 && refusals > 0, "the mutants never reached a request or a refusal: the corpus or the mutator is off")
    }

    @Test func predictAndFeedbackJSON() throws {
        let seeds = try Self.corpus("json")
        var random = SplitMix64(seed: Self.seed)
        var accepted = 0
        for _ in 0..<Self.iterations {
            let body = Self.mutate(seeds, &random)
            for type in InputType.allCases {
                do {
                    let request = try PredictRequest.decode(body, type: type)
                    #expect(!request.inputs.isEmpty)
                    accepted += 1
                } catch {
                    #expect(error.status == 400)
                }
                do { _ = try FeedbackRequest.decode(body, type: type) } catch { #expect(error.status == 400) }
            }
            _ = try? JSONParser.parse(body)
        }
        #expect(accepted > 0, "the mutants never reached a valid request: the corpus or the mutator is off")
    }

    @Test func zmtpDecoder() throws {
        let seeds = try Self.corpus("zmtp")
        var random = SplitMix64(seed: Self.seed &+ 1)
        var messages = 0
        for _ in 0..<Self.iterations {
            let bytes = Self.mutate(seeds, &random)
            var decoder = ZMTPDecoder(maxMessageSize: 64 << 10)
            var offset = 0
            decoding: while offset < bytes.count {
                let chunk = min(bytes.count - offset, Int.random(in: 1...64, using: &random))
                decoder.feed(bytes[offset..<(offset + chunk)])
                offset += chunk
                // Each event consumes input: at most one per byte fed, so it cannot loop forever.
                for _ in 0...bytes.count {
                    do {
                        guard let event = try decoder.next() else { break }
                        if case .message = event { messages += 1 }
                    } catch {
                        break decoding
                    }
                }
            }
        }
        #expect(messages > 0, "the mutants never reached a whole message: the corpus or the mutator is off")
    }

    @Test func rpcMessageDecoder() throws {
        let seeds = try Self.corpus("rpc")
        var random = SplitMix64(seed: Self.seed &+ 2)
        var decoded = 0
        for _ in 0..<Self.iterations {
            let bytes = Self.mutate(seeds, &random)
            // Seeds hold the frames joined by 0xFE 0xFE.
            var frames: [[UInt8]] = [[]]
            var index = 0
            while index < bytes.count {
                if index + 1 < bytes.count && bytes[index] == 0xFE && bytes[index + 1] == 0xFE {
                    frames.append([])
                    index += 2
                } else {
                    frames[frames.count - 1].append(bytes[index])
                    index += 1
                }
            }
            if (try? ContainerMessage(frames: frames)) != nil { decoded += 1 }
        }
        #expect(decoded > 0, "the mutants never decoded: the corpus or the mutator is off")
    }
}
