import Foundation

/// A prompt of a tune: created with it, "generated" when the tune finishes training.
struct Prompt: Sendable {
    var id: Int
    var tuneID: Int
    var text: String
    var negativePrompt: String?
    /// Called with this prompt when it finishes.
    var callback: String?
    var createdAt: Date
    var trainedAt: Date?
    var images: [String]

    func json(baseURL: String) -> JSONValue {
        .object([
            ("id", .int(id)),
            ("callback", .optional(callback)),
            ("text", .string(text)),
            ("negative_prompt", .optional(negativePrompt)),
            ("cfg_scale", .null),
            ("steps", .null),
            ("seed", .null),
            ("trained_at", Timestamps.json(trainedAt)),
            ("started_training_at", Timestamps.json(createdAt)),
            ("created_at", Timestamps.json(createdAt)),
            ("updated_at", Timestamps.json(trainedAt ?? createdAt)),
            ("tune_id", .int(tuneID)),
            ("url", .string("\(baseURL)/tunes/\(tuneID)/prompts/\(id).json")),
            ("images", .array(images.map(JSONValue.string))),
        ])
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
