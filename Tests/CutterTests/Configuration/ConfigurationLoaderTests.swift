import Foundation
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
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        var configuration = try ConfigurationLoader.load(file: root + "/config/cutter.conf", environment: [:], overrides: [:])
        // Its paths name the repository's files wherever cutter starts from.
        #expect(configuration.redisConfigFile == root + "/redis/redis.conf")
        #expect(configuration.redisDataDirectory == root + "/cutter-data/redis")
        configuration.redisConfigFile = nil
        configuration.redisDataDirectory = CutterConfiguration().redisDataDirectory
        #expect(configuration == CutterConfiguration())
    }

    @Test func relativePathsInAFileResolveAgainstItsFolderAndFlagsAgainstTheWorkingDirectory() throws {
        let folder = "/tmp/cutter-config-paths-\(UInt32.random(in: 0...UInt32.max))/conf"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/cutter.conf"
        try "redis_conf ../redis/redis.conf\nredis_data_dir data\nredis_server redis-server\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try ConfigurationLoader.load(file: file, environment: [:], overrides: [:])
        #expect(fromFile.redisConfigFile == URL(fileURLWithPath: folder + "/../redis/redis.conf").standardizedFileURL.path)
        #expect(fromFile.redisDataDirectory == folder + "/data")
        #expect(fromFile.redisServerBinary == "redis-server", "a command name is looked up on PATH")
        let fromFlags = try ConfigurationLoader.load(file: file, environment: [:], overrides: ["redis_data_dir": "here"])
        #expect(fromFlags.redisDataDirectory == "here")
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
