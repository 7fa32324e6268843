/// Where a Redis server is, and the password it wants.
struct RedisEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    var password: String?
}
