import Foundation

/// Photos already hosted, submitted: the tune, its record, and the file the record was written
/// to (nil when none was asked for).
public struct URLSubmission: Sendable {
    /// The tune the service created or returned, and how the request went.
    public var creation: TuneCreation
    /// What was (or would be) written as the submission record.
    public var record: SubmissionRecord
    /// File the record was written to; nil when none was asked for.
    public var recordURL: URL?
}

extension AstriaAPI {
    /// Creates a tune from photos already hosted (`tune[image_urls][]`, as the service's own
    /// example does), with the rules of a staged set's submission: an empty `template.title`
    /// becomes the default title (`tp-urls-` and a digest of the URLs and every field that shapes
    /// the tune), so an identical retry is idempotent and a different request is a different tune;
    /// a tune handed back that does not match the request is refused
    /// (``AstriaError/unexpectedTune(_:mismatches:)``) and nothing is recorded. With `recordURL`,
    /// the ``SubmissionRecord`` is written there atomically, and a file already there is refused
    /// (``AstriaError/alreadyRecorded(path:tuneID:)``) unless `force`.
    public func submit(
        imageURLs: [String], _ template: TuneRequest, packID: Int? = nil, idempotent: Bool = true,
        recordURL: URL? = nil, force: Bool = false, events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> URLSubmission {
        let request = try TuneRequest.forImageURLs(imageURLs, template: template, packID: packID)
        if let recordURL, !force, FileManager.default.fileExists(atPath: recordURL.path) {
            throw .alreadyRecorded(path: recordURL.path, tuneID: SubmissionRecord.load(file: recordURL)?.tuneId)
        }
        let creation = try await createTune(request, packID: packID, idempotent: idempotent, events: events)
        let record = SubmissionRecord(creation, request, packID: packID, setId: nil, baseURL: base)
        if let recordURL { try record.write(to: recordURL, creation) }
        return URLSubmission(creation: creation, record: record, recordURL: recordURL)
    }
}

extension TuneRequest {
    /// The request that submitting hosted photos sends: `template`'s fields, the URLs (each
    /// http or https with a host; at least one), and the default title when `template.title` is empty.
    public static func forImageURLs(_ urls: [String], template: TuneRequest, packID: Int?) throws(AstriaError) -> TuneRequest {
        guard !urls.isEmpty else { throw .invalidRequest("no image URLs") }
        for text in urls {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false else {
                throw .invalidRequest("\(text) is not an http or https URL")
            }
        }
        var request = template
        request.images = []
        request.imageURLs = urls
        if request.title.trimmingCharacters(in: .whitespaces).isEmpty {
            request.title = request.defaultTitle(contentID: nil, packID: packID)
        }
        return request
    }
}

extension SubmissionRecord {
    /// The record in `file`, or nil when there is none (or it cannot be read).
    public static func load(file: URL) -> SubmissionRecord? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONDecoder().decode(SubmissionRecord.self, from: data)
    }
}
