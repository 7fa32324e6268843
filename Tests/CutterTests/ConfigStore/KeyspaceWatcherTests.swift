import Testing
@testable import Cutter

struct KeyspaceWatcherTests {
    @Test func parsesTheDatabaseAndTheWholeKey() {
        #expect(KeyspaceWatcher.parse(channel: "__keyspace@2__:sum:1") == .init(database: .models, key: "sum:1"))
        #expect(KeyspaceWatcher.parse(channel: "__keyspace@6__:CURRENT_MODEL_VERSION:sum")
                == .init(database: .metadata, key: "CURRENT_MODEL_VERSION:sum"))
        #expect(KeyspaceWatcher.parse(channel: "__keyspace@1__:app:0:0") == .init(database: .state, key: "app:0:0"))
        #expect(KeyspaceWatcher.parse(channel: "__keyspace@5__:a__:b") == .init(database: .applications, key: "a__:b"))
    }

    @Test func otherChannelsAreNotNotifications() {
        for channel in ["__keyevent@2__:set", "__keyspace@9__:x", "__keyspace@__:x", "__keyspace@2_:x", "news", "__keyspace@2"] {
            #expect(KeyspaceWatcher.parse(channel: channel) == nil, "\(channel)")
        }
    }

    @Test func patternsNameTheDatabase() {
        #expect(KeyspaceWatcher.pattern(.appModelLinks) == "__keyspace@7__:*")
    }
}
