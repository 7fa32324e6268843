import ClipperRPC
import Testing
@testable import Cutter

struct ClipperSchemaTests {
    @Test func keysFollowClipper() {
        #expect(ClipperSchema.modelKey(name: "sum", version: "1") == "sum:1")
        #expect(ClipperSchema.containerKey(modelName: "sum", modelVersion: "1", replicaID: 0) == "sum,1,0")
        #expect(ClipperSchema.currentVersionKey(model: "sum") == "CURRENT_MODEL_VERSION:sum")
        #expect(ClipperSchema.stateKey(app: "a", uid: 0) == "a:0:0")
        #expect(ClipperSchema.Database.applications.rawValue == 5 && ClipperSchema.Database.appModelLinks.rawValue == 7)
    }

    @Test func applicationRecordRoundTripsThroughClipperFields() {
        let app = ApplicationRecord(name: "a", inputType: .doubles, defaultOutput: "-1.0", latencySLOMicros: 20000)
        let fields = Dictionary(uniqueKeysWithValues: app.fields)
        #expect(fields == ["input_type": "doubles", "policy": "DefaultOutputSelectionPolicy", "default_output": "-1.0", "latency_slo_micros": "20000"])
        #expect(ApplicationRecord(name: "a", fields: fields) == app)
        #expect(ApplicationRecord(name: "a", fields: ["input_type": "doubles"]) == nil)
        #expect(ApplicationRecord(name: "a", fields: ["input_type": "d", "latency_slo_micros": "5"])?.inputType == .doubles)
    }

    @Test func modelRecordRoundTripsAndValidFlagMarksDeletion() {
        let model = ModelRecord(name: "m", version: "2", inputType: .strings, labels: ["x", "y"], containerName: "img",
                                modelDataPath: "DEPRECATED", batchSize: -1)
        let fields = Dictionary(uniqueKeysWithValues: model.fields)
        #expect(fields["labels"] == "x,y")
        #expect(fields["load"] == "0.000000")
        #expect(fields["valid"] == "")
        #expect(ModelRecord(fields: fields) == model)
        var deleted = fields
        deleted["valid"] = nil
        #expect(ModelRecord(fields: deleted)?.isValid == false)
    }

    @Test func containerRecordRoundTrips() {
        let container = ContainerRecord(modelName: "m", modelVersion: "1", replicaID: 3, connectionID: 9, inputType: .floats)
        let fields = Dictionary(uniqueKeysWithValues: container.fields)
        #expect(fields["model_id"] == "m:1")
        #expect(fields["batch_size"] == "1")
        #expect(ContainerRecord(fields: fields) == container)
        #expect(container.key == "m,1,3")
    }

    @Test func namesRefuseSeparatorsAndPathCharacters() {
        #expect(ClipperSchema.isValidName("sum-app_1.v2"))
        for bad in ["", "a:b", "a,b", "a/b", "a b", "a\nb"] { #expect(!ClipperSchema.isValidName(bad)) }
    }

    @Test func hashReplyParsing() {
        let reply = RedisReply.array([.string("a"), .string("1"), .string("b"), .string("")])
        #expect(reply.hash == ["a": "1", "b": ""])
        #expect(RedisReply.null.hash.isEmpty)
    }
}
