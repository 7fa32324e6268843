import Logging
import Testing
@testable import Cutter

/// The selection-state cache against Redis races, played in order with held replies.
struct SelectionStateStoreTests {
    let redis = HeldRedis()
    let store: SelectionStateStore

    init() {
        store = SelectionStateStore(redis: redis, writeTimeout: 1_000_000_000, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    private func hash(_ weights: [String: Double], count: Int) -> RedisReply {
        .array(weights.flatMap { [RedisReply.string($0.key), .string(String($0.value))] } + [.string(SelectionState.feedbackField), .string(String(count))])
    }

    /// Loads the state of app "a", uid 0, as `weights`.
    private func load(_ weights: [String: Double], count: Int) {
        var loaded: SelectionState?
        store.withState(app: "a", uid: 0) { loaded = $0 }
        redis.release("HGETALL", with: hash(weights, count: count))
        #expect(loaded?.feedbackCount == count)
    }

    @Test func aChangeNotifiedDuringAReadIsReadAgainAfterIt() {
        load(["m": 0], count: 1)
        // Another frontend writes; its notification starts a read...
        store.refresh(key: "a:0:0")
        #expect(redis.count("HGETALL") == 1)
        // ...and a second write is notified while that read is in flight.
        store.refresh(key: "a:0:0")
        #expect(redis.count("HGETALL") == 1, "one read at a time")
        // The read in flight was answered before the second write.
        redis.release("HGETALL", with: hash(["m": -0.1], count: 2))
        #expect(store.cachedState(app: "a", uid: 0)?.feedbackCount == 2)
        #expect(redis.count("HGETALL") == 1, "the state is read once more")
        redis.release("HGETALL", with: hash(["m": -0.2], count: 3))
        #expect(store.cachedState(app: "a", uid: 0)?.feedbackCount == 3, "the second write is not lost")
        #expect(redis.count("HGETALL") == 0)
    }

    @Test func theCacheNeverRunsAheadOfRedisAcknowledgement() {
        load(["m": 0, "n": 0], count: 5)
        var result: Result<SelectionState, SelectionStateStore.WriteError>?
        store.apply(app: "a", uid: 0, models: ["m", "n"], increments: ["m": -0.5]) { result = $0 }
        #expect(store.cachedState(app: "a", uid: 0)?.feedbackCount == 5, "not before Redis acknowledged it")
        redis.release("HINCRBYFLOAT", with: .error("READONLY You can't write against a read only replica."))
        #expect(result == .failure(.init(message: "READONLY You can't write against a read only replica.")))
        #expect(store.cachedState(app: "a", uid: 0)?.feedbackCount == 5, "a refused write leaves the cache as it was")

        store.apply(app: "a", uid: 0, models: ["m", "n"], increments: ["m": -0.5]) { result = $0 }
        redis.release("HINCRBYFLOAT", with: .integer(6))
        #expect(store.cachedState(app: "a", uid: 0)?.feedbackCount == 6)
        #expect(store.cachedState(app: "a", uid: 0)?.logWeights["m"] == -0.5)
    }
}
