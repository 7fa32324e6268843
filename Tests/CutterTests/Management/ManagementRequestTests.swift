import Testing
@testable import Cutter

struct ManagementRequestTests {
    private func cause(_ body: String) -> String? {
        do {
            _ = try ManagementRequest.decode(ManagementRequest.AddApp.self, from: Array(body.utf8))
            return nil
        } catch {
            #expect(error.status == 400)
            return error.cause
        }
    }

    @Test func validBodyDecodes() throws {
        let app = try ManagementRequest.decode(ManagementRequest.AddApp.self, from: Array(#"{"name":"a","input_type":"doubles","default_output":"0","latency_slo_micros":1000}"#.utf8))
        #expect(app.latencySLOMicros == 1000)
    }

    @Test func errorsNameTheField() {
        #expect(cause(#"{"input_type":"doubles","default_output":"0","latency_slo_micros":1}"#) == "Missing required field 'name'.")
        #expect(cause(#"{"name":"a","input_type":"doubles","default_output":"0","latency_slo_micros":"1"}"#) == "Field 'latency_slo_micros' must be an integer.")
        #expect(cause(#"{"name":"a","input_type":"doubles","default_output":"0","latency_slo_micros":1.5}"#)?.contains("whole numbers") == true)
        #expect(cause(#"{"name":"a""#)?.contains("not valid JSON") == true)
        #expect(cause(#"[1]"#) == "The body must be a JSON object.")
    }

    @Test func errorJSONIsEscaped() {
        let error = APIError(status: 400, error: "Bad request", cause: "quote \" and\nnewline")
        #expect(String(decoding: error.json, as: UTF8.self) == #"{"error":"Bad request","cause":"quote \" and\nnewline"}"#)
    }
}
