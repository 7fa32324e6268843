import Testing
@testable import Cutter

struct ConfigurationLoaderTests {
    @Test func fileEnvironmentAndFlagsOverrideInThatOrder() throws {
        let file = "/tmp/cutter-config-test-\(UInt32.random(in: 0...UInt32.max)).conf"
        try "query_port 2000\nrpc_port 7100 # comment\n\n# full comment\nredis 10.0.0.1:6380\n".write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try ConfigurationLoader.load(
            file: file, environment: ["CUTTER_RPC_PORT": "7200", "CUTTER_CACHE_BYTES": "0"], overrides: ["query_port": "3000"])
        #expect(configuration.queryPort == 3000)
        #expect(configuration.rpcPort == 7200)
        #expect(configuration.cacheBytes == 0)
        #expect(configuration.redis == RedisEndpoint(host: "10.0.0.1", port: 6380))
        #expect(configuration.managementHost == "127.0.0.1")
    }

    @Test func shippedConfigFileParsesToTheDefaults() throws {
        let path = #filePath.components(separatedBy: "/Tests/")[0] + "/config/cutter.conf"
        let configuration = try ConfigurationLoader.load(file: path, environment: [:], overrides: [:])
        #expect(configuration == CutterConfiguration())
    }

    @Test func badValuesNameTheSetting() {
        #expect(throws: CutterConfiguration.InvalidSetting.self) { try ConfigurationLoader.load(file: nil, environment: [:], overrides: ["query_port": "x"]) }
        #expect(throws: CutterConfiguration.InvalidSetting.self) { try ConfigurationLoader.load(file: nil, environment: [:], overrides: ["nonsense": "1"]) }
        #expect(throws: CutterConfiguration.InvalidSetting.self) { try ConfigurationLoader.load(file: nil, environment: [:], overrides: ["redis": "nohost"]) }
        do {
            _ = try ConfigurationLoader.load(file: nil, environment: [:], overrides: ["query_port": "99999"])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("query_port"))
        }
    }
}
