/// Which model names containers may register as (setting `rpc_model_pattern`): comma-separated
/// globs, `*` any run of characters and `?` one, e.g. `fraud-*,sum`. With `rpc_secret` it limits
/// what a holder of the secret can serve; a container registering another name is refused.
struct ModelNamePattern: Sendable {
    private let alternatives: [[Character]]

    init(_ text: String) {
        alternatives = text.split(separator: ",").map { Array($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty }
    }

    func matches(_ name: String) -> Bool {
        let name = Array(name)
        return alternatives.contains { Self.glob($0[...], name[...]) }
    }

    /// Glob matching with backtracking on the last `*` only: linear for the patterns used here.
    private static func glob(_ pattern: ArraySlice<Character>, _ text: ArraySlice<Character>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var star: (pattern: Int, text: Int)?
        while t < text.endIndex {
            if p < pattern.endIndex && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.endIndex && pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if let last = star {
                p = last.pattern + 1
                t = last.text + 1
                star = (last.pattern, last.text + 1)
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }
}
