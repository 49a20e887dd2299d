import AstriaClient
import ArgumentParser
import Foundation
import TunePrep

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Upload a staged set (or hosted photos) to Astria and create a tune.",
        usage: "tuneprep submit [<options>] --name <class> (<folder>|--image-url <url>)",
        discussion: """
        The default title identifies the whole request: the set's content id (manifest set_id) and \
        every field that shapes the tune. Sending the same request twice returns the same tune on \
        an account with idempotency on ("existing tune returned"); a different request is a \
        different tune. A tune handed back that does not match the request (title, name, branch) \
        is reported and not recorded (exit 8). The result is written to <folder>/submission.json; \
        a set that has one is refused unless --force.

        With --image-url (repeatable) instead of a folder, the tune is made from photos already \
        hosted, under the same rules: the default title is tp-urls- plus a digest of the URLs and \
        the fields. Its record is written only with --record <path>, and a file already there is \
        refused unless --force; with --json the submitted event carries the record.

        With --wait, the command then waits for the training as `tuneprep tunes wait` does (its \
        exit statuses too); Ctrl-C during the wait says how to resume it.

        \(HelpText.exitStatus([.failure, .usage, .refused, .unauthorized, .rejected, .unavailable, .uncertain, .mismatch, .overdue, .deleted, .timedOut] + ExitStatus.stopped))
        """
    )

    @Argument(help: ArgumentHelp("A staged set written by `tuneprep prepare`.", valueName: HelpText.folder), completion: .directory)
    var directory: String?

    @Option(name: .customLong("image-url"), help: ArgumentHelp("A hosted photo's URL, instead of a staged set (repeatable).", valueName: HelpText.url))
    var imageURLs: [String] = []

    @Option(help: ArgumentHelp("With --image-url: the file to write the submission record to (default: none).", valueName: HelpText.path), completion: .file())
    var record: String?

    @Option(help: ArgumentHelp("Class name: man, woman, boy, girl, baby, cat, dog, couple, style, ...", valueName: "class"))
    var name: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Create the tune from this pack (POST /p/ID/tunes).", valueName: HelpText.id))
    var pack: Int?

    @Option(help: ArgumentHelp("Tune title (default: the set's content id plus a digest of the fields, which makes retries and resubmits idempotent).", valueName: "text"))
    var title: String?

    @Option(help: ArgumentHelp("flux1, sd15, sdxl1, or fast (free mock training for testing an integration).", valueName: "branch"), completion: .list(["flux1", "sd15", "sdxl1", "fast"]))
    var branch: String?

    @Option(help: ArgumentHelp("Trigger token, e.g. ohwx or sks.", valueName: "token"))
    var token: String?

    @Option(name: .customLong("model-type"), help: ArgumentHelp("lora, pti or faceid.", valueName: "type"), completion: .list(["lora", "pti", "faceid"]))
    var modelType: String?

    @Option(name: .customLong("base-tune-id"), parsing: .unconditional, help: ArgumentHelp("Base tune to train from.", valueName: HelpText.id))
    var baseTuneID: Int?

    @Option(help: ArgumentHelp("Training preset.", valueName: "preset"))
    var preset: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Training steps.", valueName: HelpText.count))
    var steps: Int?

    @Option(name: .customLong("face-crop"), help: ArgumentHelp("true or false.", valueName: "bool"), completion: .list(["true", "false"]))
    var faceCrop: Bool?

    @Option(name: .customLong("characteristic"), help: ArgumentHelp("A KEY=VALUE characteristic (repeatable), e.g. eye_color=\"blue eyes\".", valueName: "key=value"))
    var characteristics: [String] = []

    @Option(name: .customLong("prompt"), help: ArgumentHelp("A prompt text (repeatable).", valueName: "text"))
    var prompts: [String] = []

    @Option(help: ArgumentHelp("URL called when training ends.", valueName: HelpText.url))
    var callback: String?

    @Option(name: .customLong("prompt-callback"), help: ArgumentHelp("(packs) URL called as each prompt finishes.", valueName: HelpText.url))
    var promptCallback: String?

    @Option(name: .customLong("prompts-callback"), help: ArgumentHelp("(packs) URL called once with all prompts.", valueName: HelpText.url))
    var promptsCallback: String?

    @Option(name: .customLong("tune-id"), parsing: .unconditionalSingleValue, help: ArgumentHelp("(packs) Reuse this existing tune (repeatable).", valueName: HelpText.id))
    var tuneIDs: [Int] = []

    @Flag(name: .customLong("dry-run"), help: "Print the fields and files that would be sent; send nothing.")
    var dryRun = false

    @Flag(help: "NDJSON events and result on stdout.")
    var json = false

    @Flag(help: "Submit even though the set already records a submission.")
    var force = false

    @Flag(name: .customLong("no-idempotency"), help: "The account has idempotency off: never resend once the whole body was sent.")
    var noIdempotency = false

    @Flag(help: "After the upload, wait until the tune is trained (as `tuneprep tunes wait`).")
    var wait = false

    @OptionGroup var waitOptions: WaitOptions
    @OptionGroup var astria: AstriaCommandOptions

    func validate() throws {
        switch (directory, imageURLs.isEmpty) {
        case (nil, true): throw ValidationError("give a staged set's folder, or --image-url")
        case (_?, false): throw ValidationError("give a staged set's folder or --image-url, not both")
        default: break
        }
        if record != nil, imageURLs.isEmpty {
            throw ValidationError("--record goes with --image-url; a staged set's record is <folder>/\(SubmissionRecord.fileName)")
        }
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
        if wait, dryRun { throw ValidationError("--wait goes with a real submission, not --dry-run") }
    }

    func run() async throws {
        let command = self
        let created = CreatedID()
        try await CommandRunner.run(resume: {
            created.id.map { "tune \($0) was created; to wait for it: tuneprep tunes wait \($0)" }
        }) {
            guard let creation = try await command.submit() else { return }
            created.id = creation.tune.id
            guard command.wait else { return }
            let client = try command.astria.client()
            let display = WaitDisplay(json: command.json)
            defer { display.close() }
            let tune = try await client.waitUntilTrained(creation.tune, policy: command.waitOptions.policy(prompts: false)) { display.tune($0) }
            display.close()
            if !command.json { print("tune \(tune.id) trained" + (tune.trainedAt.map { " at \(AstriaDate.format($0))" } ?? "")) }
        }
    }

    /// The tune created or returned; nil for a dry run.
    private func submit() async throws -> TuneCreation? {
        guard let directory else { return try await submitURLs() }
        let directoryURL = URL(fileURLWithPath: directory)
        // The set's refusals come before the key is looked for: they are the user's first problem.
        let set = try SubmittableSet.load(from: directoryURL)
        try set.checkSubmittable(force: force || dryRun)
        let template = makeTemplate()
        if dryRun {
            try printDryRun(try TuneRequest.forStagedSet(set, template: template, packID: pack))
            return nil
        }

        let client = try astria.client()
        let submission = try await withProgress { display in
            try await client.submit(set, template, packID: pack, idempotent: !noIdempotency, force: force) { display.handle($0) }
        }
        report(submission.creation, submission.record, recordURL: submission.recordURL)
        return submission.creation
    }

    /// `--image-url`: a tune from hosted photos, recorded only where --record says.
    private func submitURLs() async throws -> TuneCreation? {
        let template = makeTemplate()
        let recordURL = record.map { URL(fileURLWithPath: $0) }
        if dryRun {
            try printDryRun(try TuneRequest.forImageURLs(imageURLs, template: template, packID: pack))
            return nil
        }
        let client = try astria.client()
        let submission = try await withProgress { display in
            try await client.submit(
                imageURLs: imageURLs, template, packID: pack, idempotent: !noIdempotency, recordURL: recordURL, force: force
            ) { display.handle($0) }
        }
        report(submission.creation, submission.record, recordURL: submission.recordURL)
        return submission.creation
    }

    private func withProgress<T>(_ body: (UploadProgressDisplay) async throws -> T) async throws -> T {
        let display = UploadProgressDisplay(mode: UploadProgressDisplay.mode(json: json))
        defer { display.close() }
        return try await body(display)
    }

    /// The outcome: one line on stdout (or the NDJSON event), why an existing tune was returned,
    /// and where the record is.
    private func report(_ creation: TuneCreation, _ record: SubmissionRecord, recordURL: URL?) {
        let tune = creation.tune
        if json {
            JSONLines.write(["event": "submitted", "tune_id": tune.id, "url": tune.url ?? NSNull(), "title": record.title,
                             "outcome": creation.outcome.rawValue, "attempts": creation.attempts,
                             "result_file": recordURL?.path ?? NSNull(), "record": JSONLines.object(record),
                             "tune": JSONLines.object(tune)])
            return
        }
        let what = "tune \(tune.id) \"\(sanitizedForTerminal(record.title))\"\(tune.url.map { " \(sanitizedForTerminal($0))" } ?? "")"
        switch creation.outcome {
        case .created:
            print("submitted \(what)")
        case .existing:
            print("existing tune returned: \(what)")
            let why = creation.earlierAttemptMayHaveCreated
                ? "most likely created by an earlier attempt of this submission, whose answer was lost"
                : "the service already had a tune with this title and handed it back instead of creating one"
            FileHandle.standardError.write(Data("tuneprep: \(why)\n".utf8))
        }
        if let recordURL { FileHandle.standardError.write(Data("recorded in \(recordURL.path)\n".utf8)) }
    }

    /// The request's fields; the title stays empty unless --title, so the library fills in the
    /// default title, which identifies the set and every one of these fields.
    func makeTemplate() -> TuneRequest {
        var request = TuneRequest(title: title ?? "", name: name)
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

    private func printDryRun(_ request: TuneRequest) throws {
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

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
