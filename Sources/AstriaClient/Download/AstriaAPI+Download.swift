import Foundation
import Synchronization
import SystemPackage

extension AstriaAPI {
    /// Saves every picture of `prompts` into `directory` (created if missing), streaming each one
    /// through libcurl to a hidden temporary file that is renamed into place once whole: a
    /// killed run never leaves a half picture under a final name, and the next run removes its
    /// temporary files. A picture already saved (present, whole, and accepted by
    /// `options.verify`) is not fetched again.
    ///
    /// The API key is never sent: pictures live on object storage, whose URLs need none, and
    /// redirects are followed only there. A picture that cannot be saved (an error status after
    /// the retries, not an image, over `options.maxPictureBytes`) is listed in the report's
    /// `failed`; the run goes on with the others. Throws for the folder itself and on cancellation.
    public func downloadPictures(
        of prompts: [Prompt],
        to directory: String,
        options: DownloadOptions = DownloadOptions(),
        events: (@Sendable (DownloadEvent) -> Void)? = nil
    ) async throws(AstriaError) -> DownloadReport {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .file(path: folder, reason: "cannot create the folder: \(plainFileError(error))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .file(path: folder, reason: "not a folder")
        }
        PictureDownload.removeLeftovers(in: folder)

        var report = DownloadReport()
        var jobs: [PictureDownload.Job] = []
        for prompt in prompts {
            for (offset, url) in prompt.images.enumerated() {
                let job = PictureDownload.Job(promptID: prompt.id, index: offset + 1, url: url, folder: folder)
                if let found = job.existing(verify: options.verify) {
                    report.alreadyThere.append(found)
                } else {
                    jobs.append(job)
                }
            }
        }
        events?(.planned(toFetch: jobs.count, alreadyThere: report.alreadyThere.count))
        for found in report.alreadyThere { events?(.skipped(found)) }

        let download = PictureDownload(api: self, options: options, events: events)
        let width = max(1, options.concurrency)
        let results = await withTaskGroup(of: Result<PictureFile, DownloadFailure>.self) { group in
            var results: [Result<PictureFile, DownloadFailure>] = []
            var next = jobs.makeIterator()
            for _ in 0..<width {
                guard let job = next.next() else { break }
                group.addTask { await download.fetch(job) }
            }
            while let result = await group.next() {
                results.append(result)
                if Task.isCancelled { continue }
                if let job = next.next() { group.addTask { await download.fetch(job) } }
            }
            return results
        }
        if Task.isCancelled { throw .cancelled(bodySent: false) }
        for result in results {
            switch result {
            case .success(let file): report.saved.append(file)
            case .failure(let failure): report.failed.append(failure)
            }
        }
        report.saved.sort { ($0.promptID, $0.index) < ($1.promptID, $1.index) }
        report.failed.sort { ($0.promptID, $0.index) < ($1.promptID, $1.index) }
        return report
    }
}

/// One download run's shared state: the client, the settings, and the byte count.
final class PictureDownload: Sendable {
    let api: AstriaAPI
    let options: DownloadOptions
    let events: (@Sendable (DownloadEvent) -> Void)?
    private let received = Mutex<(perJob: [String: Int64], reported: ContinuousClock.Instant?)>(([:], nil))

    init(api: AstriaAPI, options: DownloadOptions, events: (@Sendable (DownloadEvent) -> Void)?) {
        self.api = api
        self.options = options
        self.events = events
    }

    /// One picture to fetch.
    struct Job: Sendable {
        var promptID: Int
        var index: Int
        var url: String
        var folder: String

        var stem: String { PictureFile.stem(promptID: promptID, index: index) }

        func failure(_ reason: String) -> DownloadFailure {
            DownloadFailure(promptID: promptID, index: index, url: sanitizedForTerminal(url), reason: reason)
        }

        /// The file an earlier run saved, if it is there, whole and accepted.
        func existing(verify: (@Sendable (String) -> String?)?) -> PictureFile? {
            for format in [PictureCheck.Format.jpeg, .png, .webp] {
                let path = folder + "/" + stem + "." + format.rawValue
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      case .success(let found) = PictureCheck.check(path: path), found == format,
                      verify?(path) == nil else { continue }
                let bytes = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                return PictureFile(promptID: promptID, index: index, url: url, path: path, bytes: bytes)
            }
            return nil
        }
    }

    /// Fetches one picture, retrying transient failures as the client's retry rules say.
    func fetch(_ job: Job) async -> Result<PictureFile, DownloadFailure> {
        guard let scheme = URL(string: job.url)?.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            return fail(job.failure("not an http or https URL"))
        }
        let policy = api.configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            switch await attemptFetch(job, attempt: attempt) {
            case .saved(let file):
                events?(.saved(file))
                return .success(file)
            case .failed(let reason):
                return fail(job.failure(reason))
            case .cancelled:
                return .failure(job.failure("cancelled"))
            case .transient(let reason, let retryAfter):
                guard attempt < policy.maxAttempts else {
                    return fail(job.failure("\(reason) (gave up after \(attempt) attempts)"))
                }
                let wait = retryAfter ?? policy.backoff(retry: attempt)
                events?(.retrying(job.failure(reason), wait: wait))
                do { try await policy.sleep(wait) } catch { return .failure(job.failure("cancelled")) }
            }
        }
    }

    private func fail(_ failure: DownloadFailure) -> Result<PictureFile, DownloadFailure> {
        events?(.failed(failure))
        return .failure(failure)
    }

    enum Attempt {
        case saved(PictureFile)
        case failed(String)
        case transient(String, retryAfter: Duration?)
        case cancelled
    }

    /// Content types a picture may be served as; generic ones are judged by the bytes.
    static let pictureTypes: Set<String> = ["image/jpeg", "image/jpg", "image/png", "image/webp"]
    static let genericTypes: Set<String> = ["application/octet-stream", "binary/octet-stream", ""]

    /// Why an answer with these headers is not a picture (its content type), or nil.
    @Sendable static func refusal(of headers: [String: String]) -> String? {
        let type = (headers["content-type"] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return pictureTypes.contains(type) || genericTypes.contains(type) ? nil : "served as \(sanitizedForTerminal(type)), not a picture"
    }

    private func attemptFetch(_ job: Job, attempt: Int) async -> Attempt {
        let temporary = job.folder + "/." + job.stem + ".part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            return .failed("cannot create \(temporary): \(error)")
        }
        var keep = false
        defer {
            try? file.close()
            if !keep { unlink(temporary) }
        }
        let key = "\(job.promptID)-\(job.index)"
        // The content type is judged before the first byte is written: an error page served as
        // 200 is refused without being stored.
        let target = DownloadTarget(file: file, maxBytes: options.maxPictureBytes, accept: Self.refusal(of:)) { bytes in
            self.count(key, bytes)
        }
        // No Authorization header: the key goes to the API's host only, never to storage.
        let request = HTTPRequest(method: "GET", url: job.url, headers: ["Accept: image/jpeg, image/png, image/webp, */*;q=0.1"], body: nil, download: target)
        var transfer = api.configuration.transfer
        transfer.maxResponseBytes = 64 * 1024  // an error page's text, not a picture
        let outcome = await Transfer.perform(request, options: transfer, attempt: attempt, onProgress: nil)
        count(key, outcome.bytesWritten)

        let response: HTTPResponse
        switch outcome.result {
        case .failure(.cancelled): return .cancelled
        case .failure(.responseTooLarge(let limit)):
            return .failed("larger than \(limit) bytes, the limit")
        case .failure(.refused(let reason)):
            return .failed(reason)
        case .failure(.file(_, let reason)):
            return .failed("cannot write \(temporary): \(reason)")
        case .failure(.curl(let failure)):
            if failure.kind.isTransient { return .transient(failure.message, retryAfter: nil) }
            return .failed(failure.message)
        case .success(let answer):
            response = answer
        }
        guard (200..<300).contains(response.status) else {
            let message = serviceMessage(from: response.body)
            let reason = "the storage answered \(response.status)" + (message.isEmpty ? "" : ": \(message)")
            if response.status == 429 || response.status >= 500 {
                return .transient(reason, retryAfter: RetryPolicy.parseRetryAfter(response.headers["retry-after"]))
            }
            return .failed(reason)
        }
        // An empty body never reached the write callback's check.
        if let refusal = Self.refusal(of: response.headers) { return .failed(refusal) }
        if let declared = response.headers["content-length"].flatMap(Int64.init), declared != outcome.bytesWritten {
            return .transient("\(outcome.bytesWritten) bytes of \(declared) arrived", retryAfter: nil)
        }
        guard fsync(file.rawValue) == 0 else { return .failed("cannot write \(temporary): \(Errno(rawValue: errno))") }
        let format: PictureCheck.Format
        switch PictureCheck.check(path: temporary) {
        case .success(let found): format = found
        case .failure(let failure):
            // Cut short in flight is worth another try; a server that serves no picture is not.
            return failure.reason.contains("cut short")
                ? .transient("\(failure.reason)", retryAfter: nil) : .failed(failure.reason)
        }
        if let problem = options.verify?(temporary) { return .failed("not a usable picture: \(problem)") }
        let path = job.folder + "/" + job.stem + "." + format.rawValue
        guard rename(temporary, path) == 0 else { return .failed("cannot rename into \(path): \(Errno(rawValue: errno))") }
        keep = true
        Self.syncFolder(job.folder)
        return .saved(PictureFile(promptID: job.promptID, index: job.index, url: job.url, path: path, bytes: outcome.bytesWritten))
    }

    /// Adds up the bytes of the run's transfers and reports the sum at most five times a second.
    private func count(_ key: String, _ bytes: Int64) {
        let total: Int64? = received.withLock { state in
            state.perJob[key] = bytes
            let now = ContinuousClock.now
            if let last = state.reported, now - last < .milliseconds(200) { return nil }
            state.reported = now
            return state.perJob.values.reduce(0, +)
        }
        if let total { events?(.bytes(total)) }
    }

    /// The rename is durable once the folder's entry is on disk.
    static func syncFolder(_ folder: String) {
        guard let directory = try? FileDescriptor.open(FilePath(folder), .readOnly, options: [.directory, .closeOnExec]) else { return }
        _ = fsync(directory.rawValue)
        try? directory.close()
    }

    /// Removes temporary files of earlier runs that were killed (their process is gone); a run
    /// still going in the same folder keeps its own.
    static func removeLeftovers(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".prompt-") {
            guard let marker = name.range(of: ".part-") else { continue }
            let pid = name[marker.upperBound...].split(separator: "-").first.flatMap { Int32($0) }
            if let pid, pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH { continue }
            unlink(folder + "/" + name)
        }
    }
}
