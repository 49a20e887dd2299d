import Foundation

/// A prompt of a tune: its pictures are "generated" a while after it was created and its tune trained.
struct Prompt: Sendable {
    var id: Int
    var tuneID: Int
    var text: String
    var negativePrompt: String?
    var numImages: Int
    /// Called with this prompt when it finishes.
    var callback: String?
    /// Every known generation setting, in ``PromptValidation/settings`` order, null when not given.
    var settings: [(String, JSONValue)]
    /// Came with its tune (`prompts_attributes`, a pack), so a pack's `prompts_callback` waits for it.
    var createdWithTune: Bool
    var createdAt: Date
    /// When generation began (creation or training, whichever was later); nil while the tune trains.
    var startedAt: Date?
    /// When it finished, done or failed (the service calls it `trained_at`).
    var trainedAt: Date?
    var images: [String]
    var userError: String?
    /// The `user_error` it will finish with (an injected fault); nil: it succeeds.
    var failure: String?

    func json(baseURL: String) -> JSONValue {
        .object(
            [
                ("id", .int(id)),
                ("callback", .optional(callback)),
                ("text", .string(text)),
                ("negative_prompt", .optional(negativePrompt)),
                ("num_images", .int(numImages)),
            ] + settings + [
                ("trained_at", Timestamps.json(trainedAt)),
                ("started_training_at", Timestamps.json(startedAt)),
                ("created_at", Timestamps.json(createdAt)),
                ("updated_at", Timestamps.json(trainedAt ?? startedAt ?? createdAt)),
                ("tune_id", .int(tuneID)),
                ("user_error", .optional(userError)),
                ("url", .string("\(baseURL)/tunes/\(tuneID)/prompts/\(id).json")),
                ("images", .array(images.map(JSONValue.string))),
            ])
    }

    func stored(baseURL: String) -> StoredPrompt {
        StoredPrompt(
            id: id, tuneID: tuneID, text: text, numImages: numImages, callback: callback,
            createdWithTune: createdWithTune, createdAt: createdAt, finishedAt: trainedAt, images: images,
            userError: userError, json: json(baseURL: baseURL).serialized
        )
    }
}

/// A fine-tune as the mock holds it; ``json(baseURL:)`` renders the service's tune object.
struct Tune: Sendable {
    var id: Int
    var title: String
    var name: String
    var token: String
    var branch: String
    var modelType: String?
    var baseTuneID: Int?
    var preset: String?
    var steps: Int?
    var faceCrop: Bool?
    var trainingFaceCorrect: Bool?
    var autoExtend: Bool?
    var characteristics: [(String, String)]
    var callback: String?
    var packID: Int?
    var tuneIDs: [Int]
    var images: [StoredImage]
    var imageURLs: [String]
    var prompts: [Prompt]
    /// (packs) `prompts_callback`: called once with all prompts.
    var promptsCallback: String?
    var promptsCallbackSent = false
    /// Never trains (an injected fault): `trained_at` stays null past the `eta`.
    var overdue = false
    var createdAt: Date
    var eta: Date
    var trainedAt: Date?

    /// The checkpoint the mock pretends to have trained; served by the mock itself.
    static func checkpointURL(baseURL: String) -> String { "\(baseURL)/files/mock" }

    func json(baseURL: String) -> JSONValue {
        let ckpt = trainedAt.map { _ in Tune.checkpointURL(baseURL: baseURL) }
        return .object([
            ("id", .int(id)),
            ("title", .string(title)),
            ("name", .string(name)),
            ("is_api", .bool(true)),
            ("token", .string(token)),
            ("base_tune_id", .optional(baseTuneID)),
            ("args", .null),
            ("steps", .optional(steps)),
            ("face_crop", .optional(faceCrop)),
            ("training_face_correct", .optional(trainingFaceCorrect)),
            ("auto_extend", .optional(autoExtend)),
            ("preset", .optional(preset)),
            ("characteristics", characteristics.isEmpty ? .null : .object(characteristics.map { ($0, .string($1)) })),
            ("callback", .optional(callback)),
            ("pack_id", .optional(packID)),
            ("ckpt_url", .optional(ckpt)),
            ("ckpt_urls", .array(ckpt.map { [.string($0)] } ?? [])),
            ("eta", Timestamps.json(eta)),
            ("trained_at", Timestamps.json(trainedAt)),
            ("started_training_at", Timestamps.json(createdAt)),
            ("expires_at", Timestamps.json(trainedAt.map { $0.addingTimeInterval(30 * 24 * 3600) })),
            ("created_at", Timestamps.json(createdAt)),
            ("updated_at", Timestamps.json(trainedAt ?? createdAt)),
            ("branch", .string(branch)),
            ("model_type", .optional(modelType)),
            ("url", .string("\(baseURL)/tunes/\(id).json")),
            ("orig_images", .array((images.map(\.url) + imageURLs).map(JSONValue.string))),
        ])
    }

    func stored(baseURL: String) -> StoredTune {
        StoredTune(
            id: id, title: title, name: name, branch: branch, packID: packID, callback: callback,
            images: images, imageURLs: imageURLs, promptTexts: prompts.map(\.text),
            createdAt: createdAt, eta: eta, trainedAt: trainedAt, json: json(baseURL: baseURL).serialized
        )
    }
}
