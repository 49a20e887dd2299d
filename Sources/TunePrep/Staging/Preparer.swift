import TunePrepDigest
import Foundation

/// Progress of a check or prepare run: an event when a photo starts and when it finishes.
public struct PrepareProgress: Sendable {
    /// A photo's two events: work on it began, or it is done.
    public enum Stage: Sendable, Equatable { case started, finished }

    /// Whether `path` just started or just finished.
    public var stage: Stage
    /// Photos finished so far.
    public var completed: Int
    /// Number of photos in the run.
    public var total: Int
    /// The photo that just started or finished, as given (path).
    public var path: String
    /// For a finished photo: it passed its own checks and was decoded (and encoded). It may still
    /// be left out by the set-level checks (duplicates, limits), which run after the last photo;
    /// false means it is rejected whatever follows.
    public var accepted: Bool
    /// The photos being processed at this moment, in input order.
    public var inFlight: [String]

    /// Makes a progress event.
    public init(stage: Stage, completed: Int, total: Int, path: String, accepted: Bool, inFlight: [String]) {
        self.stage = stage
        self.completed = completed
        self.total = total
        self.path = path
        self.accepted = accepted
        self.inFlight = inFlight
    }
}

/// Checks and prepares photo sets: every photo through `PhotoProcessor`'s stages, then the set's
/// own (duplicates, identity, naming, limits) into a manifest. The `check` and `prepare` commands run it.
///
/// ```swift
/// let preparer = Preparer(options: PrepareOptions())
/// let set = try await preparer.prepare(["photos/"], into: URL(fileURLWithPath: "staged"))
/// print(set.manifest.summary.staged, set.isUsable)
/// ```
public struct Preparer: Sendable {
    /// What the outputs look like and which checks apply.
    public var options: PrepareOptions
    /// Photos processed at once; each holds one decoded image in memory.
    public var workers: Int
    /// Where the identity models are; nil looks in `IdentityModel.defaultDirectory()`.
    public var modelsDirectory: URL?

    /// A preparer with the given options, worker count (at least 1) and models folder.
    public init(
        options: PrepareOptions = PrepareOptions(), workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        modelsDirectory: URL? = nil
    ) {
        self.options = options
        self.workers = max(1, workers)
        self.modelsDirectory = modelsDirectory
    }

    /// Runs every check and reports what `prepare` would stage, writing nothing.
    public func check(
        _ paths: [String], progress: (@Sendable (PrepareProgress) -> Void)? = nil
    ) async throws(StagingError) -> Manifest {
        try refuseInvalidOptions()
        let inputs = try InputCollector.collect(paths)
        let outcomes = try await run(inputs, emit: nil, progress: progress)
        return assemble(outcomes).manifest
    }

    /// Prepares the photos into `directory`, atomically: the set is built beside it and renamed
    /// into place. An existing `directory` is replaced only with `force`. The set is written
    /// even when set-level checks fail (its manifest then says `usable: false`), so it can be
    /// inspected; submitting refuses it.
    public func prepare(
        _ paths: [String], into directory: URL, force: Bool = false,
        progress: (@Sendable (PrepareProgress) -> Void)? = nil
    ) async throws(StagingError) -> StagedSet {
        try refuseInvalidOptions()
        let inputs = try InputCollector.collect(paths)
        let staging = try StagingDirectory(destination: directory, force: force)
        do {
            let outcomes = try await run(
                inputs,
                emit: { index, data throws(StagingError) in try staging.writePending(index: index, data: data) },
                progress: progress)
            let (manifest, kept) = assemble(outcomes)
            let written = try staging.commit(kept: kept, manifest: manifest)
            return StagedSet(directory: staging.destination, manifest: written)
        } catch {
            staging.discard()
            throw error
        }
    }

    private func refuseInvalidOptions() throws(StagingError) {
        let problems = options.problems
        if !problems.isEmpty { throw .invalidOptions(problems) }
    }

    /// Where the identity models are looked for; nil when the person checks are off.
    private var identityDirectory: URL? {
        options.personChecks.enabled ? modelsDirectory ?? IdentityModel.defaultDirectory() : nil
    }

    /// The CNN face detector when its model is installed beside the identity models, else HOG
    /// with the reason (the set's report says so).
    private var faceDetector: FaceDetector {
        guard options.personChecks.enabled else { return .hog }
        return FaceDetector.resolve(directory: modelsDirectory ?? IdentityModel.defaultDirectory())
    }

    private func run(
        _ inputs: [PhotoInput],
        emit: (@Sendable (Int, Data) throws(StagingError) -> Void)?,
        progress: (@Sendable (PrepareProgress) -> Void)?
    ) async throws(StagingError) -> [PhotoOutcome] {
        let detector = faceDetector
        // Every photo is read once the run ends: the networks' activations go before the
        // identity models load, so the two never share the peak.
        defer { detector.cnn?.rest() }
        let processor = PhotoProcessor(options: options, keepFaces: identityDirectory != nil, detector: detector)
        let limit = workers
        let result: Result<[PhotoOutcome], StagingError>? = await withTaskGroup(of: Result<PhotoOutcome, StagingError>?.self) { group in
            var next = 0
            var outcomes: [PhotoOutcome] = []
            outcomes.reserveCapacity(inputs.count)
            var running: [Int: String] = [:]
            var inFlight: [String] { running.sorted { $0.key < $1.key }.map(\.value) }
            func startNext() -> Bool {
                guard next < inputs.count, !Task.isCancelled else { return false }
                let index = next, input = inputs[index]
                next += 1
                running[index] = input.path
                progress?(PrepareProgress(
                    stage: .started, completed: outcomes.count, total: inputs.count, path: input.path, accepted: false,
                    inFlight: inFlight))
                group.addTask {
                    if Task.isCancelled { return nil }
                    let outcome = processor.process(index: index, url: input.url, path: input.path, emit: emit)
                    return outcome.writeFailure.map { .failure($0) } ?? .success(outcome)
                }
                return true
            }
            // At most `workers` photos in flight: memory stays bounded however large the set.
            for _ in 0..<limit where !startNext() { break }
            while let finished = await group.next() {
                guard let finished else { continue }
                switch finished {
                case .failure(let error):
                    // A write failed (a full disk): the run stops; no photo is blamed for it.
                    group.cancelAll()
                    return .failure(error)
                case .success(let outcome):
                    outcomes.append(outcome)
                    running[outcome.index] = nil
                    progress?(PrepareProgress(
                        stage: .finished, completed: outcomes.count, total: inputs.count, path: outcome.path,
                        accepted: !outcome.hasError, inFlight: inFlight))
                }
                _ = startNext()
            }
            return Task.isCancelled ? nil : .success(outcomes)
        }
        guard let result else { throw .cancelled }
        return try result.get().sorted { $0.index < $1.index }
    }

    /// Set-level decisions, once every photo has been read: each stage adds findings to the photos
    /// or returns what the next ones need, and the manifest is made of what they gave.
    func assemble(_ outcomes: [PhotoOutcome]) -> (manifest: Manifest, kept: [(index: Int, name: String)]) {
        var outcomes = outcomes
        markDuplicates(&outcomes)
        markNearDuplicates(&outcomes)
        let identity = describeFaces(&outcomes)
        let people = options.personChecks.enabled ? assessPeople(&outcomes, identity: identity) : nil
        let staged = nameOutputs(outcomes)
        let images = zip(outcomes, staged.outputs).map { manifestRow($0, output: $1) }
        let findings = setFindings(staged: staged, people: people, identity: identity)
        return (makeManifest(images: images, findings: findings, people: people), staged.kept)
    }

    /// Exact duplicates: the later of two byte-identical sources, or of two byte-identical outputs
    /// (the encoder is deterministic, so equal upright pixels give equal outputs: the output's
    /// digest finds them without hashing the pixels), is out, naming the first.
    private func markDuplicates(_ outcomes: inout [PhotoOutcome]) {
        var firstBySource: [String: String] = [:]
        var firstByOutput: [String: String] = [:]
        for i in outcomes.indices where !outcomes[i].hasError {
            let outcome = outcomes[i]
            if let digest = outcome.sourceSha256, let first = firstBySource[digest] {
                outcomes[i].findings.append(Finding(.duplicate, .error, "byte-identical to \(first)", related: first))
                continue
            }
            if let digest = outcome.output?.sha256, let first = firstByOutput[digest] {
                outcomes[i].findings.append(Finding(.duplicate, .error, "same pixels as \(first) after orientation (identical output)", related: first))
                continue
            }
            if let digest = outcome.sourceSha256 { firstBySource[digest] = outcome.path }
            if let digest = outcome.output?.sha256 { firstByOutput[digest] = outcome.path }
        }
    }

    /// Near-identical shots (bursts, HDR on and off): a warning on the later photo of a pair,
    /// naming the earliest one it resembles.
    private func markNearDuplicates(_ outcomes: inout [PhotoOutcome]) {
        let bits = options.thresholds.nearDuplicateBits
        for i in outcomes.indices where !outcomes[i].hasError {
            guard let hash = outcomes[i].scores?.perceptualHash else { continue }
            for j in 0..<i where !outcomes[j].hasError {
                guard let other = outcomes[j].scores?.perceptualHash,
                      let distance = QualityScores.hammingDistance(hash, other), distance <= bits else { continue }
                outcomes[i].findings.append(Finding(.nearDuplicate, .warning,
                    "nearly identical to \(outcomes[j].path) (perceptual hash distance \(distance) of 64)", related: outcomes[j].path))
                break
            }
        }
    }

    /// The identity descriptors of the main faces still in the set; every face crop is dropped.
    /// The models are loaded only now, after every photo has been read (and only when some photo
    /// still in the set has a face), so they never share the peak with the decoders. Returns the
    /// model, its load failure (the set's report says so), or nil when there was nothing to describe.
    private func describeFaces(_ outcomes: inout [PhotoOutcome]) -> Result<IdentityModel, FaceAnalysisError>? {
        var identity = identityDirectory.flatMap { directory in
            outcomes.contains { !$0.hasError && $0.faceCrop != nil } ? IdentityModel.shared(directory: directory) : nil
        }
        var owners: [Int] = []
        var crops: [FaceCrop] = []
        for i in outcomes.indices {
            guard let crop = outcomes[i].faceCrop else { continue }
            outcomes[i].faceCrop = nil
            if !outcomes[i].hasError { owners.append(i); crops.append(crop) }
        }
        guard case .success(let model)? = identity else { return identity }
        do {
            for (i, result) in zip(owners, try model.descriptors(of: &crops)) {
                switch result {
                case .success(let descriptor): outcomes[i].descriptor = descriptor
                case .failure(let error):
                    outcomes[i].findings.append(Finding(.personCheckFailed, .warning, "identity not checked: \(error)"))
                }
            }
        } catch {
            identity = .failure(error)
        }
        return identity
    }

    /// What is staged: the outputs of the photos still in the set, named in input order
    /// (`01.jpg`, ...; more digits past 99), and their total size.
    struct StagedOutputs {
        /// One per photo, in input order: its output's manifest entry, or nil when it is left out.
        var outputs: [Manifest.Output?]
        var kept: [(index: Int, name: String)]
        var totalBytes: Int
    }

    private func nameOutputs(_ outcomes: [PhotoOutcome]) -> StagedOutputs {
        let digits = max(2, String(outcomes.filter { !$0.hasError && $0.output != nil }.count).count)
        var staged = StagedOutputs(outputs: [], kept: [], totalBytes: 0)
        for outcome in outcomes {
            guard !outcome.hasError, let encoded = outcome.output else { staged.outputs.append(nil); continue }
            let number = String(staged.kept.count + 1)
            let name = String(repeating: "0", count: max(0, digits - number.count)) + number + ".jpg"
            staged.kept.append((outcome.index, name))
            staged.totalBytes += encoded.bytes
            staged.outputs.append(Manifest.Output(
                name: name, sha256: encoded.sha256, width: encoded.width, height: encoded.height,
                bytes: encoded.bytes, quality: encoded.quality))
        }
        return staged
    }

    /// A photo's row in the manifest.
    private func manifestRow(_ outcome: PhotoOutcome, output: Manifest.Output?) -> Manifest.Image {
        Manifest.Image(
            source: outcome.path, sourceSha256: outcome.sourceSha256, sourceBytes: outcome.sourceBytes,
            sourceFormat: outcome.format?.rawValue, sourceWidth: outcome.orientedWidth, sourceHeight: outcome.orientedHeight,
            verdict: output == nil ? .rejected : .staged, output: output,
            orientationApplied: output == nil ? 1 : outcome.orientation.rawValue,
            colorProfile: outcome.colorProfile, scores: outcome.scores, findings: outcome.findings,
            person: outcome.person)
    }

    /// Findings about the set as a whole: its count and total size against the limits, the
    /// framing mix, and which person checks could not run as asked.
    private func setFindings(
        staged: StagedOutputs, people: PersonChecksSummary?, identity: Result<IdentityModel, FaceAnalysisError>?
    ) -> [Finding] {
        let count = staged.kept.count
        var findings: [Finding] = []
        if count < options.minImages {
            findings.append(Finding(.tooFewImages, .error,
                "\(count) usable image\(count == 1 ? "" : "s"); at least \(options.minImages) needed"))
        }
        if count > options.maxImages {
            findings.append(Finding(.tooManyImages, .error, "\(count) usable images; at most \(options.maxImages) allowed"))
        }
        if let maxTotal = options.maxTotalBytes, staged.totalBytes > maxTotal {
            findings.append(Finding(.totalTooLarge, .error,
                "outputs total \(PhotoProcessor.megabytes(staged.totalBytes)), over the \(PhotoProcessor.megabytes(maxTotal)) limit"))
        }
        guard let people else { return findings }
        findings += framingFindings(people, staged: count)
        if !people.identityChecked, case .failure(let error)? = identity {
            findings.append(Finding(.identityNotChecked, .warning, "the same-person check did not run: \(error)"))
        }
        if let reason = people.detectorFallback {
            findings.append(Finding(.faceDetectorFallback, .warning,
                "faces were searched with dlib's HOG detector, which misses small, turned and cut-off faces: \(reason)"))
        }
        if let reason = people.poseMissing {
            findings.append(Finding(.framingFromFaceOnly, .warning,
                "full-body framing was told from the face's place alone, which calls a crouching or kicking person half-body: \(reason)"))
        }
        return findings
    }

    /// The manifest of the rows and set findings: the summary, and the content id (a digest of
    /// the outputs' digests, in order).
    private func makeManifest(images: [Manifest.Image], findings: [Finding], people: PersonChecksSummary?) -> Manifest {
        let staged = images.count(where: { $0.output != nil })
        let warnings = images.reduce(0) { $0 + $1.findings.filter { $0.severity == .warning }.count }
        let summary = Manifest.Summary(
            inputs: images.count, staged: staged, rejected: images.count - staged, warnings: warnings,
            totalBytes: images.reduce(0) { $0 + ($1.output?.bytes ?? 0) }, usable: !findings.contains { $0.severity == .error })
        var hasher = SHA256()
        for image in images { if let output = image.output { hasher.update(data: Data(output.sha256.utf8)) } }
        return Manifest(
            schemaVersion: Manifest.currentSchemaVersion, tool: .init(name: "tuneprep", version: TunePrepInfo.version),
            setId: "tp-" + hasher.finalize().hex.prefix(20), options: options, images: images, summary: summary,
            findings: findings, personChecks: people)
    }

    /// The same-person check over the photos still in the set, and the framing counts.
    private func assessPeople(
        _ outcomes: inout [PhotoOutcome], identity: Result<IdentityModel, FaceAnalysisError>?
    ) -> PersonChecksSummary {
        let candidates = outcomes.indices.filter { !outcomes[$0].hasError }
        let described = candidates.compactMap { i in outcomes[i].descriptor.map { (index: i, path: outcomes[i].path, descriptor: $0) } }
        var skipped: String?
        var consensus: String?
        switch identity {
        case .failure(let error)?: skipped = error.description
        case nil: skipped = "no photo with a face among those kept"
        case .success?:
            if described.count < 3 {
                skipped = "fewer than 3 photos with a face (\(described.count)): no majority to compare with"
            } else {
                let result = PersonChecks.identityFindings(descriptors: described, options: options.personChecks)
                for (i, distance) in result.distances { outcomes[i].person?.identityDistance = distance }
                for (i, finding) in result.findings { outcomes[i].findings.append(finding) }
                consensus = result.consensus.map { outcomes[$0].path }
            }
        }
        var counts: [Framing: Int] = [:]
        for i in candidates { if let framing = outcomes[i].person?.framing { counts[framing, default: 0] += 1 } }
        let detector = faceDetector
        return PersonChecksSummary(
            identityChecked: consensus != nil, identitySkipped: skipped, consensus: consensus,
            closeUps: counts[.closeUp] ?? 0, halfBody: counts[.halfBody] ?? 0, fullBody: counts[.fullBody] ?? 0,
            detector: detector.name, detectorFallback: detector.fallbackReason,
            pose: detector.pose != nil ? "mobilenet_thin" : nil, poseMissing: detector.poseMissingReason)
    }

    /// The service advises portraits and a few full-body shots: say when the mix is far from it.
    private func framingFindings(_ summary: PersonChecksSummary, staged: Int) -> [Finding] {
        let framed = summary.closeUps + summary.halfBody + summary.fullBody
        guard framed >= 2 else { return [] }
        if summary.closeUps == 0 {
            return [Finding(.framingMix, .warning,
                "no close-up among \(framed) photos (\(summary.halfBody) half-body, \(summary.fullBody) full-body): the service advises 4-8 portraits, shoulders or waist up")]
        }
        if summary.closeUps == framed {
            return [Finding(.framingMix, .warning,
                "only close-ups (\(framed)): the service advises a few half-body and full-body shots too")]
        }
        return []
    }
}

/// The library's name and version, as recorded in manifests.
public enum TunePrepInfo {
    /// The library version written to each manifest's `tool.version`.
    public static let version = "0.1.0"
}
