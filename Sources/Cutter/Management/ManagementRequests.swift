import Foundation

/// Request bodies of the management API, in Clipper's field names.
enum ManagementRequest {
    struct AddApp: Decodable {
        let name: String
        let input_type: String
        let default_output: String
        let latency_slo_micros: Int
        let policy: String?
        let feedback_loss: String?
        let confidence_threshold: Double?
    }

    struct AppName: Decodable { let name: String }
    struct AppNameField: Decodable { let app_name: String }

    struct StateQuery: Decodable {
        let app_name: String
        let uid: Int?
    }

    struct AddModel: Decodable {
        let model_name: String
        let model_version: String
        let labels: [String]?
        let input_type: String
        let container_name: String?
        let model_data_path: String?
        let batch_size: Int?
    }

    struct ModelVersion: Decodable {
        let model_name: String
        let model_version: String
    }

    struct Links: Decodable {
        let app_name: String
        let model_names: [String]
    }

    struct Verbose: Decodable { let verbose: Bool }

    struct Container: Decodable {
        let model_name: String
        let model_version: String
        let replica_id: Int
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
