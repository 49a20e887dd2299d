import TunePrepDigest
import Foundation

/// What `createTune` got back: the tune, and whether the service made it for this request or
/// handed back one it already had under the same title (idempotency).
@dynamicMemberLookup
public struct TuneCreation: Sendable, Equatable {
    /// Whether the service made the tune for this request or already had it.
    public enum Outcome: String, Sendable, Equatable, Codable {
        /// The service created the tune for this request (201 Created).
        case created
        /// The service returned a tune it already had with this title (idempotency; any 2xx but 201).
        case existing
    }

    /// The tune as the service returned it.
    public var tune: Tune
    /// Whether the tune is new or one the service already had.
    public var outcome: Outcome
    /// The status of the successful answer.
    public var status: Int
    /// Attempts made, the successful one included.
    public var attempts: Int
    /// An earlier attempt ended after its whole body was sent (a 504, say): an `existing` tune
    /// is then most likely the one that attempt created, not an older one.
    public var earlierAttemptMayHaveCreated: Bool

    /// A result with every field given.
    public init(tune: Tune, outcome: Outcome, status: Int, attempts: Int, earlierAttemptMayHaveCreated: Bool) {
        self.tune = tune
        self.outcome = outcome
        self.status = status
        self.attempts = attempts
        self.earlierAttemptMayHaveCreated = earlierAttemptMayHaveCreated
    }

    /// The tune's fields, read through: `creation.id` is `creation.tune.id`.
    public subscript<T>(dynamicMember keyPath: KeyPath<Tune, T>) -> T { tune[keyPath: keyPath] }
}

/// A field where a tune handed back differs from the request that asked for it.
public struct TuneMismatch: Sendable, Equatable, CustomStringConvertible {
    /// The API's name of the field: `title`, `name`, `branch`.
    public var field: String
    /// What the request asked for.
    public var requested: String
    /// What the tune has; nil when it does not say.
    public var returned: String?

    public var description: String {
        "\(field) is \(returned.map { "\"\(sanitizedForTerminal($0))\"" } ?? "missing"), the request asked for \"\(sanitizedForTerminal(requested))\""
    }

    /// The fields that identify what was asked for: title, class name and (when the request sets
    /// one) branch. Other settings are not echoed reliably by the service, so they are not compared.
    static func between(_ request: TuneRequest, _ tune: Tune) -> [TuneMismatch] {
        func same(_ a: String, _ b: String?) -> Bool {
            b.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) == a.trimmingCharacters(in: .whitespacesAndNewlines) } ?? false
        }
        var found: [TuneMismatch] = []
        // A tune without a title in its answer says nothing against the request.
        if let title = tune.title, !same(request.title, title) {
            found.append(TuneMismatch(field: "title", requested: request.title, returned: title))
        }
        if !same(request.name, tune.name) {
            found.append(TuneMismatch(field: "name", requested: request.name, returned: tune.name))
        }
        if let branch = request.branch, !same(branch, tune.branch) {
            found.append(TuneMismatch(field: "branch", requested: branch, returned: tune.branch))
        }
        return found
    }
}

extension TuneRequest {
    /// A title that identifies this whole request: the photos (`contentID`, e.g. a staged set's
    /// `set_id`; the image URLs count too) plus every field that shapes the tune (class name,
    /// pack, branch, model type, base tune, preset, steps, token, face crop and training options,
    /// characteristics, prompts, tune and prompt ids). An identical retry gets the same title, so
    /// idempotency returns the tune it created; any different request gets a different title, so
    /// it can never be handed an older tune. Callbacks and the body's encoding do not shape the
    /// tune and are left out.
    public func defaultTitle(contentID: String?, packID: Int?) -> String {
        var fields: [String: Any] = ["name": name]
        func put(_ key: String, _ value: Any?) { if let value { fields[key] = value } }
        put("pack_id", packID)
        put("branch", branch)
        put("model_type", modelType)
        put("base_tune_id", baseTuneId)
        put("preset", preset)
        put("steps", steps)
        put("token", token)
        put("face_crop", faceCrop)
        put("training_face_correct", trainingFaceCorrect)
        put("auto_extend", autoExtend)
        if !characteristics.isEmpty { fields["characteristics"] = characteristics }
        if !prompts.isEmpty {
            fields["prompts"] = prompts.map { prompt in
                var copy = prompt
                copy.callback = nil
                return Dictionary(copy.formFields, uniquingKeysWith: { a, _ in a })
            }
        }
        if !tuneIds.isEmpty { fields["tune_ids"] = tuneIds }
        if !promptIds.isEmpty { fields["prompt_ids"] = promptIds }
        if !imageURLs.isEmpty { fields["image_urls"] = imageURLs }
        // Sorted keys make the text, hence the digest, independent of the order fields were set.
        let canonical = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let digest = SHA256.hash(data: canonical).map { String(format: "%02x", $0) }.joined()
        return "\(contentID ?? "tp-urls")-\(digest.prefix(12))"
    }
}
