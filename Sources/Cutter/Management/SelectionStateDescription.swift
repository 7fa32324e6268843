/// get_state's reply: an application's selection state for one uid (Clipper's context key).
///
/// A bandit's state shows the feedback count and the normalized weight of each linked model;
/// Clipper's default policy shows the JSON Clipper stored for it (`state`), or null.
struct SelectionStateDescription: Encodable {
    /// What the state holds, by policy.
    enum Learned {
        /// A bandit's feedback count and each linked model's normalized weight.
        case bandit(feedbackCount: Int, weights: [String: Double])
        /// The JSON value Clipper stored for its default policy; nil when there is none, or it
        /// is not JSON.
        case stored(StoredJSON?)
    }

    let appName: String
    let uid: Int
    /// The stored policy name, as written.
    let policy: String
    let learned: Learned

    enum CodingKeys: String, CodingKey {
        case appName = "app_name"
        case uid
        case policy
        case feedbackCount = "feedback_count"
        case weights
        case state
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(appName, forKey: .appName)
        try container.encode(uid, forKey: .uid)
        try container.encode(policy, forKey: .policy)
        switch learned {
        case .bandit(let feedbackCount, let weights):
            try container.encode(feedbackCount, forKey: .feedbackCount)
            try container.encode(weights, forKey: .weights)
        case .stored(let state?):
            try container.encode(state, forKey: .state)
        case .stored(.none):
            try container.encodeNil(forKey: .state)
        }
    }

    /// A JSON value stored as text in Redis, encoded back as that JSON value (not as a string).
    struct StoredJSON: Encodable {
        let value: JSONValue

        init(_ value: JSONValue) { self.value = value }

        /// Parses `text`; nil when it is not a JSON document.
        init?(text: String) {
            guard let value = try? JSONParser.parse(Array(text.utf8)) else { return nil }
            self.value = value
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch value {
            case .null:
                try container.encodeNil()
            case .bool(let flag):
                try container.encode(flag)
            case .number(let number, let isInteger):
                // Integers print digit for digit (`10000000000000000`, not `1e+16`), as Foundation's
                // parser kept them.
                if isInteger, let integer = Int(exactly: number) {
                    try container.encode(integer)
                } else {
                    try container.encode(number)
                }
            case .string(let text):
                try container.encode(text)
            case .array(let items):
                try container.encode(items.map { StoredJSON($0) })
            case .object(let members):
                try container.encode(members.mapValues { StoredJSON($0) })
            }
        }
    }
}
