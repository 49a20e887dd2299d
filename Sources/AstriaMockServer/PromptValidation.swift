import Foundation

/// What a valid prompt asks for, before it gets an id.
struct PromptDraft: Sendable {
    var text: String
    var negativePrompt: String?
    var numImages: Int
    var callback: String?
    /// Every setting of ``PromptValidation/settings``, in order, null when not given.
    var settings: [(String, JSONValue)]
}

/// Checks `params[:prompt]` (or one of a tune's `prompts_attributes`) as the service would.
enum PromptValidation {
    /// Pictures made when `num_images` is not given. The service does not document its default;
    /// 4 is what its examples and web form use, and a client should always send the number anyway.
    static let defaultNumImages = 4
    static let numImagesRange = 1...8

    enum Kind { case integer, number, boolean, text }

    /// Generation settings the mock accepts and echoes, with how a form value is cast. Unknown
    /// keys are ignored, as Rails' strong parameters drop them.
    static let settings: [(String, Kind)] = [
        ("cfg_scale", .number), ("steps", .integer), ("seed", .integer), ("w", .integer), ("h", .integer),
        ("scheduler", .text), ("super_resolution", .boolean), ("hires_fix", .boolean),
        ("face_correct", .boolean), ("face_swap", .boolean), ("inpaint_faces", .boolean),
        ("film_grain", .boolean), ("color_grading", .text), ("ar", .text), ("style", .text),
        ("denoising_strength", .number), ("input_image_url", .text), ("mask_image_url", .text),
        ("controlnet", .text), ("controlnet_conditioning_scale", .number), ("backend_version", .text),
    ]

    /// The draft, or nil with the reasons added to `errors` under `prefix` + attribute
    /// (`prompts.text` for a tune's prompts, `text` for `POST /tunes/:id/prompts`).
    static func validate(_ attrs: ParamHash, prefix: String, errors: inout ValidationErrors) -> PromptDraft? {
        var failed = false
        func add(_ attribute: String, _ message: String) {
            failed = true
            // One message once: a tune's prompts repeat the same mistakes.
            if errors.entries.first(where: { $0.0 == prefix + attribute })?.1.contains(message) != true {
                errors.add(prefix + attribute, message)
            }
        }
        func value(_ key: String) -> String? {
            guard let s = attrs[key]?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
            return s
        }
        func limit(_ attribute: String, _ value: String?, _ maximum: Int = TuneValidation.stringLimit) {
            guard let value, value.unicodeScalars.count > maximum else { return }
            add(attribute, "is too long (maximum is \(maximum) characters)")
        }

        let text = value("text")
        if text == nil { add("text", "can't be blank") }
        limit("text", text, TuneValidation.textLimit)
        let negative = attrs["negative_prompt"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        limit("negative_prompt", negative, TuneValidation.textLimit)
        let callback = value("callback")
        limit("callback", callback)
        if let callback, callback.unicodeScalars.count <= TuneValidation.stringLimit, !TuneValidation.isURL(callback) {
            add("callback", "is not a valid URL")
        }

        var numImages = defaultNumImages
        if let s = value("num_images") {
            // Rails' numericality messages.
            if let n = Int(s) {
                if n < numImagesRange.lowerBound {
                    add("num_images", "must be greater than or equal to \(numImagesRange.lowerBound)")
                } else if n > numImagesRange.upperBound {
                    add("num_images", "must be less than or equal to \(numImagesRange.upperBound)")
                }
                numImages = n
            } else if Double(s) != nil {
                add("num_images", "must be an integer")
            } else {
                add("num_images", "is not a number")
            }
        }

        var settings: [(String, JSONValue)] = []
        for (key, kind) in Self.settings {
            guard let s = value(key) else {
                settings.append((key, .null))
                continue
            }
            switch kind {
            case .integer:
                if let n = Int(s) { settings.append((key, .int(n))) } else { add(key, "is not a number"); settings.append((key, .null)) }
            case .number:
                if let d = Double(s), d.isFinite { settings.append((key, .double(d))) } else { add(key, "is not a number"); settings.append((key, .null)) }
            case .boolean:
                settings.append((key, TuneValidation.castBool(s).map(JSONValue.bool) ?? .null))
            case .text:
                limit(key, s)
                settings.append((key, .string(s)))
            }
        }
        guard !failed, let text else { return nil }
        return PromptDraft(text: text, negativePrompt: negative, numImages: numImages, callback: callback, settings: settings)
    }
}
