import Foundation

/// A fine-tune as the service returns it. Decoding is lenient: every field but `id` may be
/// missing or null, unknown fields are ignored, a field of an unexpected type reads as nil, and
/// times are ISO 8601 with or without milliseconds.
public struct Tune: Sendable, Equatable, Codable {
    /// The service's id of the tune.
    public var id: Int
    /// Free-text title given at creation; with idempotency on, it identifies the request.
    public var title: String?
    /// Class name of the subject, such as `man` or `dog`.
    public var name: String?
    /// Rare word the model learned for the subject, such as `ohwx`.
    public var token: String?
    /// Training branch: `flux1`, `sd15`, `sdxl1` or `fast`.
    public var branch: String?
    /// Kind of model trained: `lora`, `pti`, `faceid`, or nil for a full checkpoint.
    public var modelType: String?
    /// Id of the tune or gallery model this one was trained on top of.
    public var baseTuneId: Int?
    /// Extra training arguments, as text; null in the service's examples.
    public var args: String?
    /// Number of training steps.
    public var steps: Int?
    /// Whether face crops of the training images were added to the training set.
    public var faceCrop: Bool?
    /// Whether the tune was created through the API rather than the web site.
    public var isApi: Bool?
    /// URL the service POSTs the tune to when training ends.
    public var callback: String?
    /// When the service expects training to end.
    public var eta: Date?
    /// When training ended; nil until the tune is trained.
    public var trainedAt: Date?
    /// When training started.
    public var startedTrainingAt: Date?
    /// When the service deletes the tune's images and model (30 days after training).
    public var expiresAt: Date?
    /// When the tune was created.
    public var createdAt: Date?
    /// When the tune last changed.
    public var updatedAt: Date?
    /// Where the service serves the tune as JSON, e.g. `https://www.astria.ai/tunes/1.json`.
    public var url: String?
    /// URLs of the uploaded training images.
    public var origImages: [String]?
    /// URL of the trained model checkpoint.
    public var ckptUrl: String?
    /// URLs of the trained model checkpoints, when there are several.
    public var ckptUrls: [String]?

    /// A tune with only the given fields set, for tests and placeholders.
    public init(id: Int, title: String? = nil, name: String? = nil) {
        self.id = id
        self.title = title
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case id, title, name, token, branch, args, steps, callback, eta, url
        case modelType = "model_type", baseTuneId = "base_tune_id", faceCrop = "face_crop", isApi = "is_api"
        case trainedAt = "trained_at", startedTrainingAt = "started_training_at", expiresAt = "expires_at"
        case createdAt = "created_at", updatedAt = "updated_at", origImages = "orig_images"
        case ckptUrl = "ckpt_url", ckptUrls = "ckpt_urls"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = c.lenientInt(.id) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: c, debugDescription: "a tune needs a numeric id")
        }
        self.id = id
        title = c.lenientString(.title)
        name = c.lenientString(.name)
        token = c.lenientString(.token)
        branch = c.lenientString(.branch)
        modelType = c.lenientString(.modelType)
        baseTuneId = c.lenientInt(.baseTuneId)
        args = c.lenientString(.args)
        steps = c.lenientInt(.steps)
        faceCrop = c.lenientBool(.faceCrop)
        isApi = c.lenientBool(.isApi)
        callback = c.lenientString(.callback)
        eta = c.lenientDate(.eta)
        trainedAt = c.lenientDate(.trainedAt)
        startedTrainingAt = c.lenientDate(.startedTrainingAt)
        expiresAt = c.lenientDate(.expiresAt)
        createdAt = c.lenientDate(.createdAt)
        updatedAt = c.lenientDate(.updatedAt)
        url = c.lenientString(.url)
        origImages = (try? c.decodeIfPresent([String?].self, forKey: .origImages))?.map { $0.compactMap { $0 } }
        ckptUrl = c.lenientString(.ckptUrl)
        ckptUrls = (try? c.decodeIfPresent([String?].self, forKey: .ckptUrls))?.map { $0.compactMap { $0 } }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(title, forKey: .title)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(token, forKey: .token)
        try c.encodeIfPresent(branch, forKey: .branch)
        try c.encodeIfPresent(modelType, forKey: .modelType)
        try c.encodeIfPresent(baseTuneId, forKey: .baseTuneId)
        try c.encodeIfPresent(args, forKey: .args)
        try c.encodeIfPresent(steps, forKey: .steps)
        try c.encodeIfPresent(faceCrop, forKey: .faceCrop)
        try c.encodeIfPresent(isApi, forKey: .isApi)
        try c.encodeIfPresent(callback, forKey: .callback)
        for (date, key) in [(eta, CodingKeys.eta), (trainedAt, .trainedAt), (startedTrainingAt, .startedTrainingAt),
                            (expiresAt, .expiresAt), (createdAt, .createdAt), (updatedAt, .updatedAt)] {
            try c.encodeIfPresent(date.map(AstriaDate.format), forKey: key)
        }
        try c.encodeIfPresent(url, forKey: .url)
        try c.encodeIfPresent(origImages, forKey: .origImages)
        try c.encodeIfPresent(ckptUrl, forKey: .ckptUrl)
        try c.encodeIfPresent(ckptUrls, forKey: .ckptUrls)
    }
}

/// A pack (a base model plus prompts), as `GET /packs` lists them; lenient like `Tune`.
public struct Pack: Sendable, Equatable, Codable {
    /// The service's id of the pack.
    public var id: Int
    /// Short URL-safe name of the pack.
    public var slug: String?
    /// Display title of the pack.
    public var title: String?
    /// Rare word the pack's models use for the subject.
    public var token: String?
    /// Id of the base tune the pack trains on.
    public var baseTuneId: Int?
    /// Kind of model the pack trains: `lora`, `pti`, `faceid`, or nil.
    public var modelType: String?
    /// When the pack was created.
    public var createdAt: Date?
    /// When the pack last changed.
    public var updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, slug, title, token
        case baseTuneId = "base_tune_id", modelType = "model_type", createdAt = "created_at", updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = c.lenientInt(.id) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: c, debugDescription: "a pack needs a numeric id")
        }
        self.id = id
        slug = c.lenientString(.slug)
        title = c.lenientString(.title)
        token = c.lenientString(.token)
        baseTuneId = c.lenientInt(.baseTuneId)
        modelType = c.lenientString(.modelType)
        createdAt = c.lenientDate(.createdAt)
        updatedAt = c.lenientDate(.updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(slug, forKey: .slug)
        try c.encodeIfPresent(title, forKey: .title)
        try c.encodeIfPresent(token, forKey: .token)
        try c.encodeIfPresent(baseTuneId, forKey: .baseTuneId)
        try c.encodeIfPresent(modelType, forKey: .modelType)
        try c.encodeIfPresent(createdAt.map(AstriaDate.format), forKey: .createdAt)
        try c.encodeIfPresent(updatedAt.map(AstriaDate.format), forKey: .updatedAt)
    }
}

/// The service's times: ISO 8601 in UTC with milliseconds (`2023-10-02T14:32:40.363Z`).
public enum AstriaDate {
    /// Reads a service time, with or without milliseconds; nil if it is not ISO 8601.
    public static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    /// Writes a time the way the service does: UTC with milliseconds.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension KeyedDecodingContainer {
    func lenientString(_ key: Key) -> String? {
        if let text = try? decodeIfPresent(String.self, forKey: key) { return text }
        if let number = try? decodeIfPresent(Int.self, forKey: key) { return String(number) }
        return nil
    }

    func lenientInt(_ key: Key) -> Int? {
        if let number = try? decodeIfPresent(Int.self, forKey: key) { return number }
        if let text = try? decodeIfPresent(String.self, forKey: key) { return Int(text) }
        return nil
    }

    func lenientBool(_ key: Key) -> Bool? {
        if let flag = try? decodeIfPresent(Bool.self, forKey: key) { return flag }
        if let text = try? decodeIfPresent(String.self, forKey: key) { return ["true", "1"].contains(text.lowercased()) }
        if let number = try? decodeIfPresent(Int.self, forKey: key) { return number != 0 }
        return nil
    }

    func lenientDate(_ key: Key) -> Date? {
        (try? decodeIfPresent(String.self, forKey: key)).flatMap { $0.flatMap(AstriaDate.parse) }
    }
}
