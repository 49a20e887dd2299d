import Foundation
import TunePrepManifest

/// Why a staged set is not submitted.
public enum SetRefusal: Sendable, Equatable, CustomStringConvertible {
    /// No readable `manifest.json`, or a staged file is missing.
    case notAStagedSet(reason: String)
    /// The set failed its checks (`usable: false` in the manifest).
    case unusable
    /// The manifest lists no staged image.
    case noImages
    /// `submission.json` records an earlier submission (`force` submits again).
    case alreadySubmitted(tuneID: Int?, record: String)

    public var description: String {
        switch self {
        case .notAStagedSet(let reason): "not a staged set: \(reason)"
        case .unusable: "the staged set failed its checks (its manifest says usable: false); not submitting"
        case .noImages: "the staged set has no images"
        case .alreadySubmitted(let id, let record):
            "already submitted\(id.map { " as tune \($0)" } ?? "") (\(record))"
        }
    }
}

/// What a submission writes into the staged set (`submission.json`): enough to find the tune
/// again, and whether the service created it or handed back one it had. Never the key.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    /// Name of the record file inside the staged set.
    public static let fileName = "submission.json"

    /// Id of the tune the service created or returned.
    public var tuneId: Int
    /// The service's URL of the tune, when it gave one.
    public var url: String?
    /// Title the tune was submitted under; with idempotency on, resubmitting it returns this tune.
    public var title: String
    /// Class name of the subject, such as `man` or `dog`.
    public var name: String
    /// Training branch, such as `flux1` or `fast`, when known.
    public var branch: String?
    /// Pack the tune was created from, if any.
    public var packId: Int?
    /// The staged set's content id; nil for a submission of hosted photos (``imageUrls``).
    public var setId: String?
    /// The hosted photos' URLs, for a submission made with them rather than a staged set.
    public var imageUrls: [String]?
    /// Base URL of the service the set was submitted to.
    public var baseUrl: String
    /// When the submission finished, ISO 8601 in UTC.
    public var submittedAt: String
    /// Number of images sent, files and URLs together.
    public var images: Int
    /// `created`, or `existing` when the service returned a tune it already had under this title.
    public var outcome: TuneCreation.Outcome?
    /// Attempts the request took.
    public var attempts: Int?

    enum CodingKeys: String, CodingKey {
        case tuneId = "tune_id", url, title, name, branch, packId = "pack_id", setId = "set_id", baseUrl = "base_url"
        case submittedAt = "submitted_at", images, outcome, attempts, imageUrls = "image_urls"
    }

    /// The record in `directory`, or nil when there is none (or it cannot be read).
    public static func load(from directory: URL) -> SubmissionRecord? {
        load(file: directory.appendingPathComponent(fileName))
    }
}

/// A staged set submitted: the tune, and the record written beside the set.
public struct SetSubmission: Sendable {
    /// The tune the service created or returned, and how the request went.
    public var creation: TuneCreation
    /// What was written to `submission.json`.
    public var record: SubmissionRecord
    /// `DIR/submission.json`.
    public var recordURL: URL
}

/// A staged set as the uploader reads it: the folder TunePrep's `Preparer` (the command line's `prepare`)
/// wrote, seen through the few manifest fields a submission needs. The manifest is read by
/// TunePrepManifest (pure Swift), so an upload-only consumer builds none of the imaging code.
public struct SubmittableSet: Sendable, Equatable {
    /// The manifest schema this reader understands (`Manifest.currentSchemaVersion`).
    public static let supportedSchemaVersion = Manifest.currentSchemaVersion
    /// Name of the manifest file inside the staged set.
    public static let manifestFileName = Manifest.fileName

    /// The staged set's folder.
    public let directory: URL
    /// The set's content id (`set_id`), the start of the default title.
    public let setId: String
    /// True when the set passed its checks (`summary.usable`).
    public let isUsable: Bool
    /// The staged images, in manifest order.
    public let imageFiles: [URL]

    /// Reads `directory/manifest.json` through TunePrepManifest's reader (the one TunePrep's
    /// `StagedSet.load` uses): a newer schema, a staged name that is not a file name inside the
    /// set, or a missing staged file is refused as a submission would be.
    public static func load(from directory: URL) throws(AstriaError) -> SubmittableSet {
        let manifest: Manifest
        do {
            manifest = try Manifest.read(from: directory)
        } catch {
            throw .setRefused(directory: directory.path, .notAStagedSet(reason: error.description))
        }
        return SubmittableSet(
            directory: directory, setId: manifest.setId, isUsable: manifest.summary.usable,
            imageFiles: manifest.stagedFiles(in: directory))
    }

    /// Throws the refusal a submission would meet, before anything is sent: a set that failed its
    /// checks, has no images, or (unless `force`) already records a submission.
    public func checkSubmittable(force: Bool) throws(AstriaError) {
        guard isUsable else { throw .setRefused(directory: directory.path, .unusable) }
        guard !imageFiles.isEmpty else { throw .setRefused(directory: directory.path, .noImages) }
        let recordURL = directory.appendingPathComponent(SubmissionRecord.fileName)
        if !force, FileManager.default.fileExists(atPath: recordURL.path) {
            let earlier = SubmissionRecord.load(from: directory)
            throw .setRefused(directory: directory.path, .alreadySubmitted(tuneID: earlier?.tuneId, record: recordURL.path))
        }
    }
}

extension TuneRequest {
    /// A request for `name` with an empty title: ``AstriaAPI/submit(_:_:packID:idempotent:force:events:)``
    /// fills in ``defaultTitle(contentID:packID:)``.
    public init(name: String) {
        self.init(title: "", name: name)
    }

    /// The request that submitting `set` sends: `template`'s fields, the set's staged images, and
    /// (when `template.title` is empty) the default title from the set's content id and those
    /// fields. Throws ``AstriaError/setRefused(directory:_:)`` for an unusable or empty set and
    /// ``AstriaError/file(path:reason:)`` for an image that cannot be read.
    public static func forStagedSet(_ set: SubmittableSet, template: TuneRequest, packID: Int?) throws(AstriaError) -> TuneRequest {
        guard set.isUsable else { throw .setRefused(directory: set.directory.path, .unusable) }
        guard !set.imageFiles.isEmpty else { throw .setRefused(directory: set.directory.path, .noImages) }
        var request = template
        request.images = try set.imageFiles.map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
        if request.title.trimmingCharacters(in: .whitespaces).isEmpty {
            request.title = request.defaultTitle(contentID: set.setId, packID: packID)
        }
        return request
    }
}

extension AstriaAPI {
    /// Loads the staged set in `directory` and submits it (see ``submit(_:_:packID:idempotent:force:events:)``);
    /// a folder that is not a staged set is refused.
    public func submit(
        setAt directory: URL, _ template: TuneRequest, packID: Int? = nil, idempotent: Bool = true, force: Bool = false,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> SetSubmission {
        let set = try SubmittableSet.load(from: directory)
        return try await submit(set, template, packID: packID, idempotent: idempotent, force: force, events: events)
    }

    /// Submits a staged set as the command line's `submit` does: refuses a set that failed its checks, has
    /// no images, or already records a submission (unless `force`); sends the set's images with
    /// `template`'s fields (an empty title becomes the default title, which identifies the whole
    /// request); then writes `submission.json` into the set, atomically, saying which tune it is
    /// and whether it was created or handed back. A tune that does not match the request is
    /// refused (``AstriaError/unexpectedTune(_:mismatches:)``) and nothing is recorded.
    public func submit(
        _ set: SubmittableSet, _ template: TuneRequest, packID: Int? = nil, idempotent: Bool = true, force: Bool = false,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> SetSubmission {
        try set.checkSubmittable(force: force)
        let recordURL = set.directory.appendingPathComponent(SubmissionRecord.fileName)
        let request = try TuneRequest.forStagedSet(set, template: template, packID: packID)
        let creation = try await createTune(request, packID: packID, idempotent: idempotent, events: events)
        let record = SubmissionRecord(creation, request, packID: packID, setId: set.setId, baseURL: base)
        try record.write(to: recordURL, creation)
        return SetSubmission(creation: creation, record: record, recordURL: recordURL)
    }
}

extension SubmissionRecord {
    /// The record of `creation`: what the service returned, else what was asked for.
    init(_ creation: TuneCreation, _ request: TuneRequest, packID: Int?, setId: String?, baseURL: String) {
        self.init(
            tuneId: creation.tune.id, url: creation.tune.url, title: creation.tune.title ?? request.title,
            name: creation.tune.name ?? request.name, branch: creation.tune.branch ?? request.branch, packId: packID,
            setId: setId, imageUrls: request.imageURLs.isEmpty ? nil : request.imageURLs, baseUrl: baseURL,
            submittedAt: AstriaDate.format(Date()), images: request.images.count + request.imageURLs.count,
            outcome: creation.outcome, attempts: creation.attempts)
    }

    /// Writes the record atomically (a reader never sees half of it).
    func write(to url: URL, _ creation: TuneCreation) throws(AstriaError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw .recordNotWritten(path: url.path, reason: plainFileError(error), creation)
        }
    }
}

/// A file error in plain words (`No such file or directory`, `Permission denied`), as the C
/// library says it, rather than Foundation's sentence.
public func plainFileError(_ error: any Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    switch CocoaError.Code(rawValue: ns.code) {
    case .fileReadNoSuchFile, .fileNoSuchFile: return String(cString: strerror(ENOENT))
    case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
    case .fileReadInapplicableStringEncoding: return "not UTF-8 text"
    default: return ns.localizedDescription
    }
}
