import Testing
@testable import Cutter

/// A Redis that holds every reply until the test releases it, in the order the test chooses.
final class HeldRedis: RedisCommandSender {
    /// A command waiting for its reply.
    struct Held {
        let arguments: [String]
        let reply: (RedisReply) -> Void
    }

    private(set) var held: [Held] = []

    func command(_ arguments: [String], db: Int?, _ callback: @escaping (RedisReply) -> Void) {
        held.append(Held(arguments: arguments, reply: callback))
    }

    func pipeline(_ commands: [(db: Int, arguments: [String])], timeout: UInt64?, _ completion: @escaping ([RedisReply]) -> Void) {
        // Held as one: the pipeline's replies arrive together.
        held.append(Held(arguments: commands.flatMap { $0.arguments + [";"] }) { reply in
            completion(Array(repeating: reply, count: commands.count))
        })
    }

    /// Answers the oldest held command whose first argument is `verb` with `reply`.
    func release(_ verb: String, with reply: RedisReply) {
        guard let index = held.firstIndex(where: { $0.arguments.first == verb }) else {
            Issue.record("no \(verb) is waiting for a reply; waiting: \(held.map(\.arguments))")
            return
        }
        held.remove(at: index).reply(reply)
    }

    func count(_ verb: String) -> Int { held.filter { $0.arguments.first == verb }.count }
}
