/// A Redis reply, copied out of hiredis's reply object (valid only inside its callback).
enum RedisReply: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    /// The text of a string or status reply.
    var string: String? {
        switch self {
        case .string(let text), .status(let text): text
        default: nil
        }
    }

    /// The elements of an array reply as strings (non-strings dropped).
    var strings: [String] {
        guard case .array(let items) = self else { return [] }
        return items.compactMap(\.string)
    }

    /// A field/value array (HGETALL) as a dictionary; empty for a missing key.
    var hash: [String: String] {
        let items = strings
        var result: [String: String] = [:]
        var index = 0
        while index + 1 < items.count {
            result[items[index]] = items[index + 1]
            index += 2
        }
        return result
    }

    /// The message of an error reply.
    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
