/// An input's bytes that its `ModelInput` type cannot decode; the batch holding it fails.
public struct ModelInputError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
