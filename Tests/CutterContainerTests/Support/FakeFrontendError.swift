/// What went wrong in a fake frontend's exchange with the runner under test.
struct FakeFrontendError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
