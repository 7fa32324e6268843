/// One predict request waiting for its outputs: each input asked of one or more models, combined
/// by the app's selection policy when all answered or at the deadline, whichever is first.
/// At the deadline the answer is formed from the models that made it (straggler mitigation);
/// with none, it is the app's default output.
final class PendingQuery {
    /// Clipper's explanations, kept word for word (applications match on them).
    static let noModelExplanation = "No connected models found for query"
    static let timeoutExplanation = "Failed to retrieve a prediction response within the specified latency SLO"

    /// One input and the models asked about it.
    private struct Element {
        let asked: [String]
        var outputs: [[UInt8]?]
        /// Why models gave no output (appended: most queries have none, and no array then).
        var failures: [TaskFailure] = []
        var remaining: Int
    }

    private let exchange: HTTPExchange
    private let app: ApplicationRecord
    private let policy: any SelectionPolicy
    private let state: SelectionState
    private let firstQueryID: Int
    private let isBatch: Bool
    private var elements: [Element]
    private var remaining: Int
    private let metrics: ServingMetrics
    var timer: LoopTimer?

    init(exchange: HTTPExchange, app: ApplicationRecord, policy: any SelectionPolicy, state: SelectionState, firstQueryID: Int,
         asked: [[String]], isBatch: Bool, metrics: ServingMetrics) {
        self.exchange = exchange
        self.app = app
        self.policy = policy
        self.state = state
        self.firstQueryID = firstQueryID
        self.isBatch = isBatch
        elements = asked.map { Element(asked: $0, outputs: Array(repeating: nil, count: $0.count), remaining: $0.count) }
        remaining = elements.reduce(0) { $1.remaining > 0 ? $0 + 1 : $0 }
        self.metrics = metrics
        if remaining == 0 { answer() }
    }

    var isAnswered: Bool { exchange.isAnswered }

    /// Records model `model`'s result for input `index` (the predictor reports each once).
    func set(_ index: Int, model: Int, _ result: Result<[UInt8], TaskFailure>) {
        guard !exchange.isAnswered, elements[index].remaining > 0 else { return }
        switch result {
        case .success(let output): elements[index].outputs[model] = output
        case .failure(let failure): elements[index].failures.append(failure)
        }
        elements[index].remaining -= 1
        if elements[index].remaining == 0 {
            remaining -= 1
            if remaining == 0 { answer() }
        }
    }

    /// The deadline passed: answer with what arrived.
    func expire() {
        guard !exchange.isAnswered else { return }
        answer()
    }

    private func answer() {
        timer?.cancel()
        timer = nil
        let reportsConfidence = app.policy != SelectionPolicyName.defaultOutput
        var defaults = 0
        var answeringModels: [String] = []
        // Written as bytes: building the reply as a String and copying it out cost a measurable
        // share of a cache hit (perf, cached-query benchmark).
        var body: [UInt8] = []
        body.reserveCapacity(64 + 96 * elements.count)
        if isBatch { body += #"{"batch_predictions":["#.utf8 }
        for (index, element) in elements.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += #"{"query_id":"#.utf8
            body += String(firstQueryID + index).utf8
            body += #","output":"#.utf8
            let combination = policy.combine(state, asked: element.asked, outputs: element.outputs)
            var explanation: String?
            if combination.output == nil {
                explanation = Self.explanation(element)
            } else if combination.confidence < app.confidenceThreshold {
                explanation = "Confidence \(Self.format(combination.confidence)) is below the application's threshold \(Self.format(app.confidenceThreshold))"
            }
            if let output = combination.output, explanation == nil {
                JSONText.appendOutputValue(output, to: &body)
                body += #","default":false"#.utf8
                if reportsConfidence { answeringModels += combination.models }
            } else {
                JSONText.appendOutputValue(Array(app.defaultOutput.utf8), to: &body)
                body += #","default":true,"default_explanation":"#.utf8
                body += JSONText.quote(explanation!).utf8
            }
            if reportsConfidence {
                body += #","confidence":"#.utf8
                body += Self.format(combination.confidence).utf8
            }
            body.append(UInt8(ascii: "}"))
            if explanation != nil { defaults += 1 }
        }
        if isBatch { body += "]}".utf8 }
        // Which models answered, for clients that want to see selection at work.
        let headers = reportsConfidence ? [("X-Cutter-Models", Array(Set(answeringModels)).sorted().joined(separator: ","))] : []
        exchange.respond(status: 200, body: body, headers: headers)
        metrics.queries(app: app.name, count: elements.count, defaults: defaults, nanoseconds: EventLoop.now() - exchange.arrival)
    }

    /// Why an input got no output.
    private static func explanation(_ element: Element) -> String {
        let failures = element.failures
        if element.asked.isEmpty || (!failures.isEmpty && failures.count == element.asked.count && failures.allSatisfy({ $0 == .noReplica })) {
            return noModelExplanation
        }
        for case .modelFailed(let reason) in failures { return "The model failed on this input: \(reason)" }
        return timeoutExplanation
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return rounded == rounded.rounded() ? String(format: "%.1f", rounded) : String(rounded)
    }
}

import Foundation
