import Foundation

/// One form field as it arrived (multipart or urlencoded), or as a JSON body flattens to form names.
public struct FormField: Sendable, Equatable, CustomStringConvertible {
    /// Rails-style field name, e.g. `tune[title]`.
    public var name: String
    /// Field value as text.
    public var value: String
    /// A field with this name and value.
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
    /// MIME type the part declared.
    public var contentType: String
    /// Size of the upload in bytes.
    public var byteCount: Int
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String
}

/// A request the server received. The Authorization header is never kept.
public struct RecordedRequest: Sendable, Equatable {
    /// HTTP method, e.g. `POST`.
    public var method: String
    /// Path and query, e.g. `/tunes?limit=5`.
    public var path: String
    /// The status answered; `nil` when the connection was dropped.
    public var status: Int?
    /// The injected fault, if any.
    public var fault: FaultPlan.Fault?
    /// Answered 429 because it polled a tune or prompt sooner than
    /// ``MockServerOptions/minPollInterval`` after the previous `GET` of it.
    public var rateLimited: Bool
    /// Whether a Bearer key was present (its value is not kept).
    public var hadBearerKey: Bool
    /// The request's `Content-Type` header, if any.
    public var contentType: String?
    /// Form fields of the body, in arrival order (a JSON body is flattened to form names).
    public var fields: [FormField]
    /// Uploaded files, in arrival order.
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
    /// MIME type the upload declared.
    public var contentType: String
    /// Size of the image in bytes.
    public var byteCount: Int
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String
}

/// A tune as the server holds it.
public struct StoredTune: Sendable, Equatable {
    /// Id the server gave the tune.
    public var id: Int
    /// Title from `tune[title]`.
    public var title: String
    /// Class name from `tune[name]`.
    public var name: String
    /// Training branch, e.g. `fast` or `flux1`.
    public var branch: String
    /// Pack the tune was created from, if it came in on `POST /p/:pack_id/tunes`.
    public var packID: Int?
    /// URL to POST the tune to when training ends.
    public var callback: String?
    /// Uploaded image files.
    public var images: [StoredImage]
    /// Image URLs given in `tune[image_urls][]`; served back in `orig_images` as is.
    public var imageURLs: [String]
    /// Texts of the tune's prompts, in order.
    public var promptTexts: [String]
    /// When the tune was created.
    public var createdAt: Date
    /// When simulated training is due to end.
    public var eta: Date
    /// When simulated training ended; nil while training.
    public var trainedAt: Date?
    /// The tune object exactly as `GET /tunes/:id` answers it.
    public var json: String
}

/// A prompt as the server holds it.
public struct StoredPrompt: Sendable, Equatable {
    /// Id the server gave the prompt.
    public var id: Int
    /// Id of its tune.
    public var tuneID: Int
    /// The text, placeholders filled.
    public var text: String
    /// Pictures asked for, 1 to 8.
    public var numImages: Int
    /// URL to POST the prompt to when it finishes.
    public var callback: String?
    /// Whether it came with its tune (`prompts_attributes` or a pack) rather than `POST /tunes/:id/prompts`.
    public var createdWithTune: Bool
    /// When it was created.
    public var createdAt: Date
    /// When it finished (pictures made, or failed); nil while pending.
    public var finishedAt: Date?
    /// URLs of its pictures once done; empty while pending or when it failed.
    public var images: [String]
    /// Why it failed; nil unless it did.
    public var userError: String?
    /// The prompt object exactly as `GET /tunes/:tune_id/prompts/:id` answers it.
    public var json: String
}

/// A callback POST the server made, or tried to make.
public struct CallbackDelivery: Sendable, Equatable {
    /// Which of the service's three callbacks a delivery was.
    public enum Kind: String, Sendable, Equatable {
        /// The tune's `callback`, with the tune object.
        case tune
        /// A prompt's callback, with the prompt object.
        case prompt
        /// A pack's `prompts_callback`, with all prompts.
        case prompts
    }
    /// Which callback was posted.
    public var kind: Kind
    /// Id of the tune the callback is about.
    public var tuneID: Int
    /// Id of the prompt a ``Kind/prompt`` callback is about; nil for the other kinds.
    public var promptID: Int?
    /// URL the POST went to.
    public var url: String
    /// The receiver's status; `nil` when it could not be reached (see ``error``).
    public var status: Int?
    /// Why the receiver could not be reached; nil when it answered.
    public var error: String?
}

/// A POST received on `/_mock/callbacks/...`: a sink so that one mock server can receive
/// another's callbacks in tests.
public struct ReceivedCallback: Sendable, Equatable {
    /// Path and query the POST was sent to, under `/_mock/callbacks/`.
    public var path: String
    /// Body of the POST, as received.
    public var body: Data
}
