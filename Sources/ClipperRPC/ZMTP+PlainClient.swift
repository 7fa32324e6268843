extension ZMTP {
    /// PLAIN's HELLO: the client's user name and password. Each travels with a one-byte length,
    /// so each must be at most 255 bytes.
    public static func helloCommand(username: [UInt8], password: [UInt8]) -> [UInt8] {
        precondition(username.count <= 255 && password.count <= 255, "PLAIN user names and passwords are at most 255 bytes")
        let body = [5] + Array("HELLO".utf8) + [UInt8(username.count)] + username + [UInt8(password.count)] + password
        var out: [UInt8] = []
        appendFrame(body, more: false, command: true, to: &out)
        return out
    }

    /// PLAIN's INITIATE: the client's metadata once the server sent WELCOME (READY's properties).
    public static func initiateCommand(socketType: String) -> [UInt8] {
        var body: [UInt8] = [8] + Array("INITIATE".utf8)
        appendProperty(name: "Socket-Type", value: Array(socketType.utf8), to: &body)
        var out: [UInt8] = []
        appendFrame(body, more: false, command: true, to: &out)
        return out
    }

    /// The reason carried by an ERROR command's data (a one-byte length, then the text); nil when
    /// malformed.
    public static func parseErrorReason(_ data: some Collection<UInt8>) -> String? {
        let bytes = Array(data)
        guard let length = bytes.first.map(Int.init), bytes.count == 1 + length else { return nil }
        return String(decoding: bytes[1...], as: UTF8.self)
    }
}
