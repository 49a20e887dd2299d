import Foundation

/// Validation errors keyed by attribute, rendered the Rails way: `{"title":["can't be blank"]}`.
struct ValidationErrors: Error, Sendable {
    private(set) var entries: [(String, [String])] = []

    mutating func add(_ attribute: String, _ message: String) {
        if let i = entries.firstIndex(where: { $0.0 == attribute }) {
            entries[i].1.append(message)
        } else {
            entries.append((attribute, [message]))
        }
    }

    var isEmpty: Bool { entries.isEmpty }
    var json: JSONValue { .object(entries.map { ($0, .array($1.map(JSONValue.string))) }) }
}

/// What a valid create request asks for, before it gets an id and its files are stored.
struct TuneDraft: Sendable {
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
    var files: [UploadedFile]
    var imageURLs: [String]
    var prompts: [PromptDraft]
    var promptsCallback: String?
}

enum TuneValidation {
    static let branches = ["flux1", "sd15", "sdxl1", "fast"]
    static let modelTypes = ["lora", "pti", "faceid"]
    /// Lengths a Rails app's columns allow, in characters (Ruby's String#length: code points):
    /// `string` columns (varchar(255)) for the title, names, token, preset, URLs and
    /// characteristics; `text` columns (MySQL's 64 KB TEXT) for prompts. A 1 MB title was
    /// accepted and repeated in every listing.
    static let stringLimit = 255
    static let textLimit = 65_535

    /// Checks `params[:tune]` as the service would; `pack` is set for `POST /p/:pack_id/tunes`.
    static func validate(_ tune: ParamHash, pack: Pack?) -> Result<TuneDraft, ValidationErrors> {
        var errors = ValidationErrors()
        func text(_ key: String) -> String? {
            guard let s = tune[key]?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else {
                return nil
            }
            return s
        }
        func bool(_ key: String) -> Bool? { text(key).flatMap(castBool) }

        /// Rails' `validates :x, length: { maximum: }` wording.
        func limit(_ attribute: String, _ value: String?, _ maximum: Int = stringLimit) {
            guard let value, value.unicodeScalars.count > maximum else { return }
            let message = "is too long (maximum is \(maximum) characters)"
            if errors.entries.first(where: { $0.0 == attribute })?.1.contains(message) != true { errors.add(attribute, message) }
        }

        let title = text("title")
        if title == nil { errors.add("title", "can't be blank") }
        limit("title", title)
        for key in ["name", "token", "branch", "model_type", "preset", "callback", "prompts_callback"] {
            limit(key, text(key))
        }

        let name = text("name")
        if let name, let pack, !pack.classNames.contains(name) {
            errors.add("name", "is not supported by this pack (supported: \(pack.classNames.joined(separator: ", ")))")
        } else if name == nil {
            errors.add("name", "can't be blank")
        }

        var files: [UploadedFile] = []
        for item in tune["images"]?.list ?? (tune["images"].map { [$0] } ?? []) {
            switch item {
            case .file(let f):
                if ImageSniffer.kind(of: f.head) == nil {
                    errors.add("images", "\(f.filename) is not a JPEG, PNG, WebP or HEIC image")
                } else {
                    files.append(f)
                }
            case .null: continue
            case .string(let s) where s.isEmpty: continue
            default: errors.add("images", "must be uploaded files (use image_urls for URLs)")
            }
        }
        var imageURLs: [String] = []
        for item in tune["image_urls"]?.list ?? (tune["image_urls"].map { [$0] } ?? []) {
            guard let s = item.string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { continue }
            if s.unicodeScalars.count > stringLimit {
                limit("image_urls", s)
            } else if isURL(s) { imageURLs.append(s) } else { errors.add("image_urls", "\(s) is not a valid URL") }
        }
        var tuneIDs: [Int] = []
        for item in tune["tune_ids"]?.list ?? [] {
            if let s = item.string, let id = Int(s) { tuneIDs.append(id) } else { errors.add("tune_ids", "is invalid") }
        }
        if files.isEmpty && imageURLs.isEmpty && tuneIDs.isEmpty && errors.entries.allSatisfy({ $0.0 != "images" }) {
            errors.add("images", "can't be blank")
        }

        let branch = text("branch") ?? pack?.branch ?? "flux1"
        if !branches.contains(branch) { errors.add("branch", "is not included in the list") }
        let modelType = text("model_type") ?? pack?.modelType
        if let modelType, !modelTypes.contains(modelType) { errors.add("model_type", "is not included in the list") }

        var steps: Int?
        if let s = text("steps") {
            if let n = Int(s) { steps = n } else { errors.add("steps", "is not a number") }
        }
        var baseTuneID = pack?.baseTuneID
        if let s = text("base_tune_id") {
            if let n = Int(s) { baseTuneID = n } else { errors.add("base_tune_id", "is not a number") }
        }
        let callback = text("callback")
        if let callback, !isURL(callback) { errors.add("callback", "is not a valid URL") }

        var characteristics: [(String, String)] = []
        if let hash = tune["characteristics"]?.hash {
            for (k, v) in hash.pairs {
                limit("characteristics", k)
                if let s = v.string { limit("characteristics", s); characteristics.append((k, s)) }
            }
        }
        let token = text("token") ?? "ohwx"

        var prompts: [PromptDraft] = []
        var promptsCallback: String?
        if let pack {
            let eachCallback = tune["prompt_attributes"]?.hash?["callback"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            if let eachCallback, !isURL(eachCallback) { errors.add("prompt_attributes.callback", "is not a valid URL") }
            promptsCallback = text("prompts_callback")
            if let promptsCallback, !isURL(promptsCallback) { errors.add("prompts_callback", "is not a valid URL") }
            for template in pack.promptTemplates {
                prompts.append(
                    PromptDraft(
                        text: template, negativePrompt: nil, numImages: PromptValidation.defaultNumImages,
                        callback: eachCallback, settings: PromptValidation.settings.map { ($0.0, .null) }))
            }
        } else if let items = tune["prompts_attributes"] {
            for item in items.list ?? [] {
                guard let attrs = item.hash else {
                    errors.add("prompts.text", "can't be blank")
                    continue
                }
                if let draft = PromptValidation.validate(attrs, prefix: "prompts.", errors: &errors) { prompts.append(draft) }
            }
        }
        guard errors.isEmpty, let title, let name else { return .failure(errors) }

        let values = ["name": name, "token": token].merging(characteristics, uniquingKeysWith: { a, _ in a })
        for i in prompts.indices { prompts[i].text = fill(prompts[i].text, values) }
        return .success(
            TuneDraft(
                title: title, name: name, token: token, branch: branch, modelType: modelType,
                baseTuneID: baseTuneID, preset: text("preset"), steps: steps, faceCrop: bool("face_crop"),
                trainingFaceCorrect: bool("training_face_correct"), autoExtend: bool("auto_extend"),
                characteristics: characteristics, callback: callback, packID: pack?.id, tuneIDs: tuneIDs,
                files: files, imageURLs: imageURLs, prompts: prompts, promptsCallback: promptsCallback
            )
        )
    }

    /// ActiveModel's boolean casting of form values; nil for anything else.
    static func castBool(_ text: String) -> Bool? {
        let s = text.lowercased()
        if ["1", "true", "t", "on", "yes"].contains(s) { return true }
        if ["0", "false", "f", "off", "no"].contains(s) { return false }
        return nil
    }

    static func isURL(_ s: String) -> Bool {
        guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// Replaces `{{key}}` placeholders; unknown keys become empty, as an empty characteristic would.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += values[key] ?? ""
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

/// Recognises image files by their first bytes, the way the service refuses non-images.
enum ImageSniffer {
    static func kind(of bytes: Data) -> String? {
        let b = [UInt8](bytes.prefix(12))
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF { return "jpeg" }
        if b.count >= 8, b[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if b.count >= 12, b[0..<4].elementsEqual(Array("RIFF".utf8)), b[8..<12].elementsEqual(Array("WEBP".utf8)) {
            return "webp"
        }
        if b.count >= 12, b[4..<8].elementsEqual(Array("ftyp".utf8)) { return "heic" }
        return nil
    }
}
