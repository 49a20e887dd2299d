import Foundation

/// What `POST /tunes` and `POST /p/:id/tunes` take. Sent as multipart when there are image files
/// (Rails nested-parameter names, `tune[...]`), as JSON otherwise.
public struct TuneRequest: Sendable, Equatable {
    /// An image file to upload; `filename` is what the service sees (default: the file's name).
    public struct Image: Sendable, Equatable {
        /// Path of the image file on disk.
        public var path: String
        /// File name sent in the part's `Content-Disposition`.
        public var filename: String
        /// MIME type of the part, `image/jpeg` or `image/png`.
        public var contentType: String

        /// The content type comes from the file's first bytes (JPEG or PNG), else its extension.
        public init(path: String, filename: String? = nil, contentType: String? = nil) throws(AstriaError) {
            self.path = path
            self.filename = filename ?? URL(fileURLWithPath: path).lastPathComponent
            if let contentType {
                self.contentType = contentType
            } else if let sniffed = Self.sniffContentType(path) {
                self.contentType = sniffed
            } else {
                throw .file(path: path, reason: "not a JPEG or PNG image")
            }
        }

        static func sniffContentType(_ path: String) -> String? {
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                let head = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
                if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
                if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
            }
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "jpg", "jpeg": return "image/jpeg"
            case "png": return "image/png"
            default: return nil
            }
        }
    }

    /// One prompt of `prompts_attributes`; `text` is required by the service.
    public struct Prompt: Sendable, Equatable, Codable {
        /// The prompt text; `{{KEY}}` placeholders are filled from the tune's characteristics.
        public var text: String
        /// Comma-separated words that should not appear in the images.
        public var negativePrompt: String?
        /// URL the service POSTs to when this prompt's images are ready.
        public var callback: String?
        /// How many images to generate, 1 to 8.
        public var numImages: Int?
        /// Random seed, for reproducible images.
        public var seed: Int?
        /// Number of diffusion steps per image, up to 50.
        public var steps: Int?
        /// How strictly images follow the text (guidance scale, 0 to 15).
        public var cfgScale: Double?
        /// Image width in pixels, a multiple of 8 (`w`).
        public var width: Int?
        /// Image height in pixels, a multiple of 8 (`h`).
        public var height: Int?
        /// Whether the service upscales the images four times.
        public var superResolution: Bool?
        /// Whether the service runs a second model to correct faces in the images.
        public var faceCorrect: Bool?
        /// Whether the service swaps in the face from the training images, for closer resemblance.
        public var faceSwap: Bool?
        /// Whether the service repaints faces; needs `superResolution`.
        public var inpaintFaces: Bool?
        /// Whether the upscale adds detail; needs `superResolution`.
        public var hiresFix: Bool?
        /// Aspect ratio of the images, such as `1:1` (`ar`).
        public var aspectRatio: String?
        /// Diffusion sampler, such as `euler_a`; nil uses the account's default.
        public var scheduler: String?
        /// A preset look the service applies, such as `Cinematic` or `Photographic`.
        public var style: String?
        /// Film look for the colours: `Film Velvia`, `Film Portra` or `Ektar`.
        public var colorGrading: String?
        /// Whether the service adds film grain, for a more realistic look.
        public var filmGrain: Bool?

        /// A prompt with only `text` (and optionally `callback`) set; set other fields afterwards.
        public init(text: String, callback: String? = nil) {
            self.text = text
            self.callback = callback
        }

        enum CodingKeys: String, CodingKey {
            case text, callback, seed, steps, scheduler, style
            case negativePrompt = "negative_prompt", numImages = "num_images", cfgScale = "cfg_scale"
            case width = "w", height = "h", superResolution = "super_resolution", faceCorrect = "face_correct"
            case faceSwap = "face_swap", inpaintFaces = "inpaint_faces", hiresFix = "hires_fix", aspectRatio = "ar"
            case colorGrading = "color_grading", filmGrain = "film_grain"
        }

        /// (field, value) pairs in a fixed order, `text` first, for the form encoding.
        var formFields: [(String, String)] {
            var fields: [(String, String)] = [("text", text)]
            func add(_ key: CodingKeys, _ value: (any CustomStringConvertible)?) {
                if let value { fields.append((key.rawValue, value.description)) }
            }
            add(.negativePrompt, negativePrompt)
            add(.callback, callback)
            add(.numImages, numImages)
            add(.seed, seed)
            add(.steps, steps)
            add(.cfgScale, cfgScale)
            add(.width, width)
            add(.height, height)
            add(.superResolution, superResolution)
            add(.faceCorrect, faceCorrect)
            add(.faceSwap, faceSwap)
            add(.inpaintFaces, inpaintFaces)
            add(.hiresFix, hiresFix)
            add(.aspectRatio, aspectRatio)
            add(.scheduler, scheduler)
            add(.style, style)
            add(.colorGrading, colorGrading)
            add(.filmGrain, filmGrain)
            return fields
        }
    }

    /// How prompts are named in a form. Both are Rails forms: `indexed` (`[0][text]`, as the
    /// service's own example) is unambiguous; `brackets` (`[][text]`) relies on Rails starting a
    /// new prompt whenever `text` repeats, which holds because `text` always comes first.
    public enum PromptForm: Sendable { case indexed, brackets }

    /// Multipart whenever there are files; JSON or multipart by choice otherwise (`image_urls`
    /// travel either way, as the service's examples show).
    public enum BodyEncoding: Sendable { case automatic, multipart, json }

    /// Free text, ideally a stable id of the photo set, so a retry with idempotency on returns the existing tune.
    public var title: String
    /// Class name of the subject, such as `man`, `woman` or `dog`; for a pack, one the pack supports.
    public var name: String
    /// Whether the body is multipart or JSON; see `BodyEncoding`.
    public var encoding: BodyEncoding = .automatic
    /// Image files to upload as `tune[images][]`.
    public var images: [Image] = []
    /// Image URLs for the service to download, sent as `tune[image_urls][]`.
    public var imageURLs: [String] = []
    /// URL that receives a POST with the tune object when training ends.
    public var callback: String?
    /// Training branch: `flux1`, `sd15`, `sdxl1`, or `fast` (the free mock mode for testing).
    public var branch: String?
    /// Id of an earlier tune or gallery model to train on top of.
    public var baseTuneId: Int?
    /// Kind of model to train: `lora`, `pti` or `faceid`; nil trains a full checkpoint.
    public var modelType: String?
    /// The service's training preset, such as `flux-lora-portrait`.
    public var preset: String?
    /// Rare word the model learns for the subject (the service defaults to `ohwx` or `sks`).
    public var token: String?
    /// Whether the service adds face crops of the training images to the training set.
    public var faceCrop: Bool?
    /// Number of training steps; nil (the service's advice) lets it choose.
    public var steps: Int?
    /// Whether the service enhances low-quality training images first (may over-smooth them).
    public var trainingFaceCorrect: Bool?
    /// The service's `auto_extend` training flag.
    public var autoExtend: Bool?
    /// `tune[characteristics][KEY]`; keys are letters, digits and `_` (they become a Rails key).
    public var characteristics: [String: String] = [:]
    /// Prompts to generate once training ends, sent as `prompts_attributes`.
    public var prompts: [Prompt] = []
    /// How prompts are numbered in a form; see `PromptForm`.
    public var promptForm: PromptForm = .indexed
    /// (packs) `tune[prompt_attributes][callback]`: called as each prompt finishes.
    public var promptAttributesCallback: String?
    /// (packs) `tune[prompts_callback]`: called once with all prompts.
    public var promptsCallback: String?
    /// (packs) Ids of existing tunes to reuse instead of training new ones.
    public var tuneIds: [Int] = []
    /// (packs) Ids of the subset of the pack's prompts to run; empty runs them all.
    public var promptIds: [Int] = []

    /// A request with only the required fields set; set the others afterwards.
    public init(title: String, name: String) {
        self.title = title
        self.name = name
    }

    func validate() throws(AstriaError) {
        guard !title.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalidRequest("the title is empty") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalidRequest("the class name is empty") }
        for key in characteristics.keys where key.isEmpty || !key.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0) || $0 == "_" }) {
            throw .invalidRequest("characteristic key \"\(key)\" must be ASCII letters, digits or _")
        }
        guard !images.isEmpty || !imageURLs.isEmpty || !tuneIds.isEmpty else {
            throw .invalidRequest("no images: give image files, image URLs or (for a pack) tune ids")
        }
        for prompt in prompts where prompt.text.isEmpty {
            throw .invalidRequest("a prompt has no text")
        }
    }

    /// The optional scalar settings that are set, in send order: one list for both encodings
    /// (the form sends each value's text, JSON its typed value).
    private var settings: [(key: String, value: any CustomStringConvertible)] {
        let all: [(String, (any CustomStringConvertible)?)] = [
            ("callback", callback), ("branch", branch), ("base_tune_id", baseTuneId), ("model_type", modelType),
            ("preset", preset), ("token", token), ("face_crop", faceCrop), ("steps", steps),
            ("training_face_correct", trainingFaceCorrect), ("auto_extend", autoExtend),
        ]
        return all.compactMap { key, value in value.map { (key, $0) } }
    }

    /// The Rails form fields, in send order (files last, so small fields arrive first).
    public var formFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("tune[title]", title), ("tune[name]", name)]
        for (key, value) in settings { fields.append(("tune[\(key)]", value.description)) }
        for key in characteristics.keys.sorted() {
            fields.append(("tune[characteristics][\(key)]", characteristics[key]!))
        }
        for (index, prompt) in prompts.enumerated() {
            let slot = promptForm == .indexed ? "\(index)" : ""
            for (key, value) in prompt.formFields {
                fields.append(("tune[prompts_attributes][\(slot)][\(key)]", value))
            }
        }
        if let promptAttributesCallback { fields.append(("tune[prompt_attributes][callback]", promptAttributesCallback)) }
        if let promptsCallback { fields.append(("tune[prompts_callback]", promptsCallback)) }
        for id in tuneIds { fields.append(("tune[tune_ids][]", String(id))) }
        for id in promptIds { fields.append(("tune[prompt_ids][]", String(id))) }
        for url in imageURLs { fields.append(("tune[image_urls][]", url)) }
        return fields
    }

    /// The multipart form: the fields, then one `tune[images][]` part per image.
    public func multipartForm(boundary: String = MultipartForm.randomBoundary()) -> MultipartForm {
        var form = MultipartForm(boundary: boundary)
        for field in formFields { form.add(field.name, field.value) }
        for image in images {
            form.addFile("tune[images][]", path: image.path, filename: image.filename, contentType: image.contentType)
        }
        return form
    }

    /// The JSON body, `{"tune": {...}}`, for requests without files.
    public func jsonBody() throws(AstriaError) -> Data {
        var tune: [String: Any] = ["title": title, "name": name]
        for (key, value) in settings { tune[key] = value }
        if !characteristics.isEmpty { tune["characteristics"] = characteristics }
        if !prompts.isEmpty {
            do {
                let data = try JSONEncoder().encode(prompts)
                tune["prompts_attributes"] = try JSONSerialization.jsonObject(with: data)
            } catch {
                throw .invalidRequest("cannot encode prompts: \(error)")
            }
        }
        if let promptAttributesCallback { tune["prompt_attributes"] = ["callback": promptAttributesCallback] }
        if let promptsCallback { tune["prompts_callback"] = promptsCallback }
        if !tuneIds.isEmpty { tune["tune_ids"] = tuneIds }
        if !promptIds.isEmpty { tune["prompt_ids"] = promptIds }
        if !imageURLs.isEmpty { tune["image_urls"] = imageURLs }
        do {
            return try JSONSerialization.data(withJSONObject: ["tune": tune], options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .invalidRequest("cannot encode the request as JSON: \(error)")
        }
    }

    /// The body to send: multipart when there are files, JSON otherwise.
    public func body() throws(AstriaError) -> RequestBody {
        try validate()
        switch (encoding, images.isEmpty) {
        case (.json, false):
            throw .invalidRequest("image files need a multipart body, not JSON")
        case (.json, true), (.automatic, true):
            return RequestBody(contentType: "application/json", data: try jsonBody())
        case (.multipart, _), (.automatic, false):
            return try multipartForm().encode()
        }
    }
}
