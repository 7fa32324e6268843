/// One predict request waiting for its outputs: answered when all arrived or at the deadline,
/// whichever is first, with the app's default output for what is missing.
final class PendingQuery {
    /// Clipper's explanations, kept word for word (applications match on them).
    static let noModelExplanation = "No connected models found for query"
    static let timeoutExplanation = "Failed to retrieve a prediction response within the specified latency SLO"

    private enum Slot {
        case waiting
        case output([UInt8])
        case useDefault(String)
    }

    private let exchange: HTTPExchange
    private let app: ApplicationRecord
    private let firstQueryID: Int
    private let isBatch: Bool
    private var slots: [Slot]
    private var remaining: Int
    private let onAnswer: (PendingQuery, [Bool]) -> Void
    var timer: LoopTimer?

    init(exchange: HTTPExchange, app: ApplicationRecord, firstQueryID: Int, count: Int, isBatch: Bool,
         onAnswer: @escaping (PendingQuery, [Bool]) -> Void) {
        self.exchange = exchange
        self.app = app
        self.firstQueryID = firstQueryID
        self.isBatch = isBatch
        slots = Array(repeating: .waiting, count: count)
        remaining = count
        self.onAnswer = onAnswer
    }

    var isAnswered: Bool { exchange.isAnswered }
    var arrival: UInt64 { exchange.arrival }

    /// Fills slot `index` with a model's result.
    func set(_ index: Int, _ result: Result<[UInt8], TaskFailure>) {
        guard !exchange.isAnswered, case .waiting = slots[index] else { return }
        switch result {
        case .success(let output): slots[index] = .output(output)
        case .failure(.noReplica): slots[index] = .useDefault(Self.noModelExplanation)
        case .failure(.deadlineExpired): slots[index] = .useDefault(Self.timeoutExplanation)
        case .failure(.modelFailed(let reason)): slots[index] = .useDefault("The model failed on this input: \(reason)")
        }
        remaining -= 1
        if remaining == 0 { answer() }
    }

    /// Answers now with the default for every slot still waiting (the deadline passed).
    func expire() {
        guard !exchange.isAnswered else { return }
        answer()
    }

    private func answer() {
        timer?.cancel()
        timer = nil
        var defaults: [Bool] = []
        var body = isBatch ? #"{"batch_predictions":["# : ""
        for (index, slot) in slots.enumerated() {
            if index > 0 { body += "," }
            body += #"{"query_id":\#(firstQueryID + index),"output":"#
            switch slot {
            case .output(let output):
                body += JSONText.outputValue(String(decoding: output, as: UTF8.self)) + #","default":false}"#
                defaults.append(false)
            case .useDefault(let explanation):
                body += JSONText.outputValue(app.defaultOutput) + #","default":true,"default_explanation":"# + JSONText.quote(explanation) + "}"
                defaults.append(true)
            case .waiting:
                body += JSONText.outputValue(app.defaultOutput) + #","default":true,"default_explanation":"# + JSONText.quote(Self.timeoutExplanation) + "}"
                defaults.append(true)
            }
        }
        if isBatch { body += "]}" }
        exchange.respond(status: 200, text: body)
        onAnswer(self, defaults)
    }
}
