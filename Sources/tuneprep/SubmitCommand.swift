import AstriaClient
import ArgumentParser
import Foundation
import TunePrep

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Upload a staged set to Astria and create a tune.",
        discussion: """
        The default title is the set's content id (manifest set_id), so sending the same set twice \
        returns the same tune on an account with idempotency on. The result is written to \
        DIR/submission.json; a set that has one is refused unless --force.
        Exit codes: 0 done, 1 other failure, 3 set refused, 4 key refused (401), 5 request rejected \
        (422), 6 service unavailable after retries, 7 outcome uncertain (504 or a failure after the \
        whole body was sent, not resent), 2 usage, 130 interrupted.
        """
    )

    @Argument(help: "A staged set written by `tuneprep prepare`.")
    var directory: String

    @Option(help: "Class name: man, woman, boy, girl, baby, cat, dog, couple, style, ...")
    var name: String

    @Option(help: "Create the tune from this pack (POST /p/ID/tunes).")
    var pack: Int?

    @Option(help: "Tune title (default: the set's content id, which makes retries and resubmits idempotent).")
    var title: String?

    @Option(help: "flux1, sd15, sdxl1, or fast (free mock training for testing an integration).")
    var branch: String?

    @Option(help: "Trigger token, e.g. ohwx or sks.")
    var token: String?

    @Option(name: .customLong("model-type"), help: "lora, pti or faceid.")
    var modelType: String?

    @Option(name: .customLong("base-tune-id"), help: "Base tune to train from.")
    var baseTuneID: Int?

    @Option(help: "Training preset.")
    var preset: String?

    @Option(help: "Training steps.")
    var steps: Int?

    @Option(name: .customLong("face-crop"), help: "true or false.")
    var faceCrop: Bool?

    @Option(name: .customLong("characteristic"), help: ArgumentHelp("A KEY=VALUE characteristic (repeatable), e.g. eye_color=\"blue eyes\".", valueName: "key=value"))
    var characteristics: [String] = []

    @Option(name: .customLong("prompt"), help: ArgumentHelp("A prompt text (repeatable).", valueName: "text"))
    var prompts: [String] = []

    @Option(help: "URL called when training ends.")
    var callback: String?

    @Option(name: .customLong("prompt-callback"), help: "(packs) URL called as each prompt finishes.")
    var promptCallback: String?

    @Option(name: .customLong("prompts-callback"), help: "(packs) URL called once with all prompts.")
    var promptsCallback: String?

    @Option(name: .customLong("tune-id"), help: "(packs) Reuse this existing tune (repeatable).")
    var tuneIDs: [Int] = []

    @Flag(name: .customLong("dry-run"), help: "Print the fields and files that would be sent; send nothing.")
    var dryRun = false

    @Flag(help: "NDJSON events and result on stdout.")
    var json = false

    @Flag(help: "Submit even though DIR already records a submission.")
    var force = false

    @Flag(name: .customLong("no-idempotency"), help: "The account has idempotency off: never resend once the whole body was sent.")
    var noIdempotency = false

    @OptionGroup var astria: AstriaCommandOptions

    static let resultFileName = "submission.json"

    func validate() throws {
        for item in characteristics {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("--characteristic takes KEY=VALUE, got \"\(item)\"")
            }
        }
        if let title, title.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--title is empty") }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--name is empty") }
        // Ids and counts are range-checked like every number (usage error, exit 2).
        for (option, id) in [("--pack", pack), ("--base-tune-id", baseTuneID)] + tuneIDs.map({ ("--tune-id", Int?.some($0)) }) {
            if let id, id < 1 { throw ValidationError("\(option) must be 1 or more") }
        }
        if let steps, !(1...100_000).contains(steps) { throw ValidationError("--steps must be 1 to 100000") }
    }

    func run() async throws {
        let command = self
        try await CommandRunner.run(json: json) { try await command.submit() }
    }

    private func submit() async throws {
        let directoryURL = URL(fileURLWithPath: directory)
        let set: StagedSet
        do {
            set = try StagedSet.load(from: directoryURL)
        } catch {
            throw CommandFailure(.refused, error.description)
        }
        guard set.isUsable else {
            throw CommandFailure(.refused, "\(directory): the staged set failed its checks (see `tuneprep check`); not submitting")
        }
        guard !set.imageFiles.isEmpty else {
            throw CommandFailure(.refused, "\(directory): the staged set has no images")
        }
        let resultURL = directoryURL.appendingPathComponent(Self.resultFileName)
        if !force, !dryRun, FileManager.default.fileExists(atPath: resultURL.path) {
            let earlier = (try? JSONDecoder().decode(SubmissionRecord.self, from: Data(contentsOf: resultURL)))
                .map { " as tune \($0.tuneId)" } ?? ""
            throw CommandFailure(.refused, "\(directory) was already submitted\(earlier) (\(resultURL.path)); use --force to submit again")
        }

        let request = try makeRequest(set)
        if dryRun { return try printDryRun(request, set: set) }

        let client = try astria.client()
        let display = UploadProgressDisplay(mode: UploadProgressDisplay.mode(json: json))
        let tune: Tune
        do {
            tune = try await client.createTune(request, packID: pack, idempotent: !noIdempotency) { display.handle($0) }
        } catch {
            display.close()
            throw error
        }
        display.close()

        let record = SubmissionRecord(
            tuneId: tune.id, url: tune.url, title: tune.title ?? request.title, name: request.name, packId: pack,
            setId: set.manifest.setId, baseUrl: astria.resolvedBaseURL, submittedAt: AstriaDate.format(Date()),
            images: request.images.count
        )
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(record).write(to: resultURL, options: .atomic)
        } catch {
            throw CommandFailure(.failure, "tune \(tune.id) was created but \(resultURL.path) could not be written: \(error.localizedDescription)")
        }
        if json {
            JSONLines.write(["event": "submitted", "tune_id": tune.id, "url": tune.url ?? NSNull(), "title": record.title,
                             "result_file": resultURL.path, "tune": JSONLines.object(tune)])
        } else {
            print("submitted tune \(tune.id) \"\(record.title)\"\(tune.url.map { " \($0)" } ?? "")")
            FileHandle.standardError.write(Data("recorded in \(resultURL.path)\n".utf8))
        }
    }

    func makeRequest(_ set: StagedSet) throws -> TuneRequest {
        var request = TuneRequest(title: title ?? set.manifest.setId, name: name)
        do {
            request.images = try set.imageFiles.map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
        } catch {
            throw CommandFailure(.refused, error.description)
        }
        request.branch = branch
        request.token = token
        request.modelType = modelType
        request.baseTuneId = baseTuneID
        request.preset = preset
        request.steps = steps
        request.faceCrop = faceCrop
        request.callback = callback
        request.promptAttributesCallback = promptCallback
        request.promptsCallback = promptsCallback
        request.tuneIds = tuneIDs
        request.prompts = prompts.map { TuneRequest.Prompt(text: $0) }
        for item in characteristics {
            let eq = item.firstIndex(of: "=")!
            request.characteristics[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return request
    }

    private func printDryRun(_ request: TuneRequest, set: StagedSet) throws {
        let body: RequestBody
        do { body = try request.body() } catch { throw CommandFailure(.refused, error.description) }
        let url = astria.resolvedBaseURL.trimmingSuffix("/") + (pack.map { "/p/\($0)/tunes" } ?? "/tunes")
        let files = request.images.map { image in
            (image, (try? FileManager.default.attributesOfItem(atPath: image.path)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        if json {
            JSONLines.write([
                "event": "dry_run", "method": "POST", "url": url, "authorization": "Bearer [redacted]",
                "content_type": body.contentType.components(separatedBy: ";").first ?? "", "body_bytes": body.totalBytes,
                "idempotent": !noIdempotency,
                "fields": request.formFields.map { ["name": $0.name, "value": $0.value] },
                "files": files.map { ["field": "tune[images][]", "path": $0.0.path, "filename": $0.0.filename,
                                      "content_type": $0.0.contentType, "bytes": $0.1] as [String: Any] },
            ])
            return
        }
        print("dry run: nothing is sent")
        print("POST \(url)")
        print("Authorization: Bearer [redacted]")
        print("Content-Type: \(body.contentType.components(separatedBy: ";").first ?? "")  (\(body.totalBytes) bytes)")
        for field in request.formFields { print("  \(field.name) = \(field.value)") }
        for (image, size) in files {
            print("  tune[images][] = @\(image.path)  (\(image.filename), \(image.contentType), \(size) bytes)")
        }
    }
}

/// What `submit` writes into the staged set: enough to find the tune again, never the key.
struct SubmissionRecord: Codable {
    var tuneId: Int
    var url: String?
    var title: String
    var name: String
    var packId: Int?
    var setId: String
    var baseUrl: String
    var submittedAt: String
    var images: Int

    enum CodingKeys: String, CodingKey {
        case tuneId = "tune_id", url, title, name, packId = "pack_id", setId = "set_id", baseUrl = "base_url"
        case submittedAt = "submitted_at", images
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
