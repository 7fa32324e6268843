/// A `ContainerRunner` that cannot start: its configuration cannot work (an empty model name, a
/// secret longer than PLAIN allows, ...).
public struct ContainerRunnerError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
