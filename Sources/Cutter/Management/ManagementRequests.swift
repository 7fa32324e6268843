import Foundation

/// Request bodies of the management API. Properties are camelCase; their `CodingKeys` carry
/// Clipper's field names, which the decode errors quote.
enum ManagementRequest {
    struct AddApp: Decodable {
        let name: String
        let inputType: String
        let defaultOutput: String
        let latencySLOMicros: Int
        let policy: String?
        let feedbackLoss: String?
        let confidenceThreshold: Double?

        enum CodingKeys: String, CodingKey {
            case name
            case inputType = "input_type"
            case defaultOutput = "default_output"
            case latencySLOMicros = "latency_slo_micros"
            case policy
            case feedbackLoss = "feedback_loss"
            case confidenceThreshold = "confidence_threshold"
        }
    }

    struct AppName: Decodable {
        let name: String
    }

    struct AppNameField: Decodable {
        let appName: String

        enum CodingKeys: String, CodingKey {
            case appName = "app_name"
        }
    }

    struct StateQuery: Decodable {
        let appName: String
        let uid: Int?

        enum CodingKeys: String, CodingKey {
            case appName = "app_name"
            case uid
        }
    }

    struct AddModel: Decodable {
        let modelName: String
        let modelVersion: String
        let labels: [String]?
        let inputType: String
        let containerName: String?
        let modelDataPath: String?
        let batchSize: Int?

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
            case labels
            case inputType = "input_type"
            case containerName = "container_name"
            case modelDataPath = "model_data_path"
            case batchSize = "batch_size"
        }
    }

    struct ModelVersion: Decodable {
        let modelName: String
        let modelVersion: String

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
        }
    }

    struct Links: Decodable {
        let appName: String
        let modelNames: [String]

        enum CodingKeys: String, CodingKey {
            case appName = "app_name"
            case modelNames = "model_names"
        }
    }

    struct Verbose: Decodable {
        let verbose: Bool
    }

    /// get_latency_profiles: all models, or one.
    struct ProfileQuery: Decodable {
        let modelName: String?

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
        }
    }

    struct Container: Decodable {
        let modelName: String
        let modelVersion: String
        let replicaID: Int

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
            case replicaID = "replica_id"
        }
    }

    /// Decodes `T` from a body, turning every failure into a message that names the field.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .badRequest("Missing required field '\(key.stringValue)'.")
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw .badRequest("The body must be a JSON object.")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw .badRequest("Field '\(fieldPath(context))' must be \(typeName(expected)).")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw .badRequest("Field '\(fieldPath(context))' must be \(typeName(expected)), not null.")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw .badRequest("Field '\(fieldPath(context))' has an invalid value.")
        } catch {
            // Foundation reports an integer field given a fraction (1.5) as corrupt JSON, with no path.
            if (try? JSONSerialization.jsonObject(with: Data(body))) is [String: Any] {
                throw .badRequest("A field has a value of the wrong type; integer fields take whole numbers such as 20000.")
            }
            throw .badRequest("The body is not valid JSON: send a JSON object with Content-Type application/json.")
        }
    }

    private static func fieldPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "a boolean (true or false)"
        case is [String].Type: "an array of strings"
        default: "of type \(type)"
        }
    }
}
