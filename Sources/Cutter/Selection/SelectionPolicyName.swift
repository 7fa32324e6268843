/// The selection policies an application can name in add_app's `policy` field.
public enum SelectionPolicyName {
    /// Clipper's only policy: one model, its default output on timeout.
    public static let defaultOutput = "DefaultOutputSelectionPolicy"
    public static let exp3 = "Exp3Policy"
    public static let exp4 = "Exp4Policy"

    public static let all = [defaultOutput, exp3, exp4]

    public static func isKnown(_ name: String) -> Bool { all.contains(name) }

    /// Whether an application with this policy may link several models.
    public static func allowsSeveralModels(_ name: String) -> Bool { name != defaultOutput }
}
