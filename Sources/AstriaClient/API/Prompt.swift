import Foundation

/// A prompt as the service returns it: a text run against a trained tune, and the pictures it
/// generated. Lenient like ``Tune``: only `id` is required, unknown fields are ignored.
public struct Prompt: Sendable, Equatable, Codable {
    /// The service's id of the prompt.
    public var id: Int
    /// The tune the prompt runs on.
    public var tuneId: Int?
    /// The prompt text, such as `ohwx man, corporate headshot`.
    public var text: String?
    /// Words the pictures should not show.
    public var negativePrompt: String?
    /// How many pictures were asked for.
    public var numImages: Int?
    /// URL the service POSTs the prompt to when it finishes.
    public var callback: String?
    /// URLs of the generated pictures; empty until the prompt is done.
    public var images: [String]
    /// Why the prompt failed, when it did.
    public var userError: String?
    /// Random seed the pictures were made with.
    public var seed: Int?
    /// When generation finished.
    public var trainedAt: Date?
    /// When generation started.
    public var startedTrainingAt: Date?
    /// When the prompt was created.
    public var createdAt: Date?
    /// When the prompt last changed.
    public var updatedAt: Date?
    /// Where the service serves the prompt as JSON.
    public var url: String?

    /// A prompt with only the given fields set, for tests and placeholders.
    public init(id: Int, tuneId: Int? = nil, text: String? = nil, images: [String] = []) {
        self.id = id
        self.tuneId = tuneId
        self.text = text
        self.images = images
    }

    /// Where the prompt stands, from its fields (the service has no status field).
    public enum State: String, Sendable, Equatable, Codable {
        /// No pictures and no error yet.
        case pending
        /// The pictures are there.
        case done
        /// `user_error` says why there will be no pictures.
        case failed
    }

    /// Done when `images` is filled; failed when `user_error` says so (checked first: a failed
    /// prompt's images, if any, are not the ones asked for).
    public var state: State {
        if let userError, !userError.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .failed }
        return images.isEmpty ? .pending : .done
    }

    enum CodingKeys: String, CodingKey {
        case id, text, callback, images, seed, url
        case tuneId = "tune_id", negativePrompt = "negative_prompt", numImages = "num_images", userError = "user_error"
        case trainedAt = "trained_at", startedTrainingAt = "started_training_at"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = c.lenientInt(.id) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: c, debugDescription: "a prompt needs a numeric id")
        }
        self.id = id
        tuneId = c.lenientInt(.tuneId)
        text = c.lenientString(.text)
        negativePrompt = c.lenientString(.negativePrompt)
        numImages = c.lenientInt(.numImages)
        callback = c.lenientString(.callback)
        images = ((try? c.decodeIfPresent([String?].self, forKey: .images)) ?? nil)?.compactMap { $0 } ?? []
        userError = c.lenientString(.userError)
        seed = c.lenientInt(.seed)
        trainedAt = c.lenientDate(.trainedAt)
        startedTrainingAt = c.lenientDate(.startedTrainingAt)
        createdAt = c.lenientDate(.createdAt)
        updatedAt = c.lenientDate(.updatedAt)
        url = c.lenientString(.url)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(tuneId, forKey: .tuneId)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(negativePrompt, forKey: .negativePrompt)
        try c.encodeIfPresent(numImages, forKey: .numImages)
        try c.encodeIfPresent(callback, forKey: .callback)
        try c.encode(images, forKey: .images)
        try c.encodeIfPresent(userError, forKey: .userError)
        try c.encodeIfPresent(seed, forKey: .seed)
        for (date, key) in [(trainedAt, CodingKeys.trainedAt), (startedTrainingAt, .startedTrainingAt),
                            (createdAt, .createdAt), (updatedAt, .updatedAt)] {
            try c.encodeIfPresent(date.map(AstriaDate.format), forKey: key)
        }
        try c.encodeIfPresent(url, forKey: .url)
    }
}

/// What ``AstriaAPI/createPrompt(tuneID:_:events:)`` got back.
public struct PromptCreation: Sendable, Equatable {
    /// The prompt as the service returned it (or as the list showed it, when found there).
    public var prompt: Prompt
    /// Attempts to send the creation, the successful one included.
    public var attempts: Int
    /// An earlier attempt may have reached the service (a 504, or the connection dropped after
    /// the whole request had gone), the prompt list was checked before sending again, and this
    /// prompt is the one found there: it was created once, not twice.
    public var foundAfterUncertainAttempt: Bool

    /// A result with every field given.
    public init(prompt: Prompt, attempts: Int, foundAfterUncertainAttempt: Bool) {
        self.prompt = prompt
        self.attempts = attempts
        self.foundAfterUncertainAttempt = foundAfterUncertainAttempt
    }
}
