/// Where a Redis server is, and the credentials it wants (an ACL username is optional).
struct RedisEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    var username: String?
    var password: String?
}
