/// What sends commands to Redis and hands back the replies: `RedisConnection`, and in tests a
/// fake that holds replies, so races with Redis (a write landing during a read) can be played in
/// a chosen order.
protocol RedisCommandSender: AnyObject {
    /// Sends a command to database `db` (nil: whatever is selected).
    func command(_ arguments: [String], db: Int?, _ callback: @escaping (RedisReply) -> Void)
    /// Sends commands in one pipeline; `completion` gets all replies in order, or errors after `timeout` ns.
    func pipeline(_ commands: [(db: Int, arguments: [String])], timeout: UInt64?, _ completion: @escaping ([RedisReply]) -> Void)
}

extension RedisConnection: RedisCommandSender {}
