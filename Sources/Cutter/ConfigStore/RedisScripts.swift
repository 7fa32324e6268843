/// Lua scripts the config store runs where a check and a write must be one step: Redis runs a
/// script atomically, so two frontends (or two concurrent calls) cannot both pass the check.
enum RedisScripts {
    /// Creates hash KEYS[1] from the field/value pairs in ARGV unless the key exists; returns 1
    /// when it created it, 0 when the key was there.
    static let createHash = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV))
        return 1
        """

    /// Deletes KEYS[1] if it holds the value ARGV[1]; returns 1 when it deleted it.
    static let deleteIfEqual = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// The EVAL arguments that create hash `key` from `fields` only if it does not exist.
    static func createHashArguments(key: String, fields: [(String, String)]) -> [String] {
        ["EVAL", createHash, "1", key] + fields.flatMap { [$0.0, $0.1] }
    }
}
