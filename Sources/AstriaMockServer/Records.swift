import Foundation

/// One form field as it arrived (multipart or urlencoded), or as a JSON body flattens to form names.
public struct FormField: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
    public var description: String { "\(name)=\(value)" }
}

/// One uploaded file as it arrived.
public struct RecordedFile: Sendable, Equatable {
    /// The multipart field name, e.g. `tune[images][]`.
    public var fieldName: String
    /// As Rails sees it: percent-escapes (`%22` for `"`) decoded the way Rack decodes them.
    public var filename: String
    public var contentType: String
    public var byteCount: Int
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String
}

/// A request the server received. The Authorization header is never kept.
public struct RecordedRequest: Sendable, Equatable {
    public var method: String
    /// Path and query, e.g. `/tunes?limit=5`.
    public var path: String
    /// The status answered; `nil` when the connection was dropped.
    public var status: Int?
    /// The injected fault, if any.
    public var fault: FaultPlan.Fault?
    /// Whether a Bearer key was present (its value is not kept).
    public var hadBearerKey: Bool
    public var contentType: String?
    public var fields: [FormField]
    public var files: [RecordedFile]

    /// The values of every field with this name, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }
}

/// An image stored for a tune.
public struct StoredImage: Sendable, Equatable {
    /// The `orig_images` URL that serves it.
    public var url: String
    /// Where it lies in the data folder.
    public var path: String
    /// The uploaded name, decoded as for ``RecordedFile/filename``.
    public var filename: String
    public var contentType: String
    public var byteCount: Int
    public var sha256: String
}

/// A tune as the server holds it.
public struct StoredTune: Sendable, Equatable {
    public var id: Int
    public var title: String
    public var name: String
    public var branch: String
    public var packID: Int?
    public var callback: String?
    public var images: [StoredImage]
    public var imageURLs: [String]
    public var promptTexts: [String]
    public var createdAt: Date
    public var eta: Date
    public var trainedAt: Date?
    /// The tune object exactly as `GET /tunes/:id` answers it.
    public var json: String
}

/// A callback POST the server made, or tried to make.
public struct CallbackDelivery: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The tune's `callback`, with the tune object.
        case tune
        /// A prompt's callback, with the prompt object.
        case prompt
        /// A pack's `prompts_callback`, with all prompts.
        case prompts
    }
    public var kind: Kind
    public var tuneID: Int
    public var url: String
    /// The receiver's status; `nil` when it could not be reached (see ``error``).
    public var status: Int?
    public var error: String?
}

/// A POST received on `/_mock/callbacks/...`: a sink so that one mock server can receive
/// another's callbacks in tests.
public struct ReceivedCallback: Sendable, Equatable {
    public var path: String
    public var body: Data
}
