/// A description, or `{}` when there is none: Clipper answers a missing application, model or
/// container with an empty object and status 200.
struct ObjectOrEmpty<Object: Encodable>: Encodable {
    let object: Object?

    init(_ object: Object?) { self.object = object }

    func encode(to encoder: any Encoder) throws {
        if let object {
            try object.encode(to: encoder)
        } else {
            try Empty().encode(to: encoder)
        }
    }

    private struct Empty: Encodable {}
}
