import TunePrepDigest
import Foundation

/// The tunes, their stored images and their training timers.
actor TuneStore {
    enum ListError: Error, Equatable {
        case badParameter(String)
    }

    private let dataDirectory: URL
    private let address: BaseAddress
    private var baseURL: String { address.url }
    private let trainingDuration: Duration
    private let fastTrainingDuration: Duration
    private let callbacks: CallbackSender?
    private var tunes: [Int: Tune] = [:]
    private var nextTuneID: Int
    private var nextPromptID = 1
    private var training: [Int: Task<Void, Never>] = [:]
    private var deliveries: [CallbackDelivery] = []

    init(dataDirectory: URL, address: BaseAddress, options: MockServerOptions) {
        self.dataDirectory = dataDirectory
        self.address = address
        self.trainingDuration = options.trainingDuration
        self.fastTrainingDuration = options.fastTrainingDuration
        self.callbacks = options.deliverCallbacks ? CallbackSender() : nil
        // Tune records live in memory; starting after the folders already in the data
        // folder keeps a restarted server from writing over earlier uploads.
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.appendingPathComponent("tunes").path)) ?? []
        self.nextTuneID = (existing.compactMap(Int.init).max() ?? 0) + 1
    }

    var imagesDirectory: URL { dataDirectory.appendingPathComponent("tunes") }

    /// Creates a tune, or with idempotency returns the live tune with the same title (`created` false).
    func create(_ draft: TuneDraft, idempotency: Bool) throws -> (tune: Tune, created: Bool) {
        if idempotency, let existing = tunes.values.filter({ $0.title == draft.title }).min(by: { $0.id < $1.id }) {
            return (existing, false)
        }
        let id = nextTuneID
        nextTuneID += 1
        let folder = imagesDirectory.appendingPathComponent(String(id))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var images: [StoredImage] = []
        for (index, file) in draft.files.enumerated() {
            let stored = "\(index + 1)-\(Self.safeFilename(file.filename, kind: ImageSniffer.kind(of: file.head)))"
            let path = folder.appendingPathComponent(stored)
            // The upload is already on disk, in the same folder tree: a rename, not a copy.
            try FileManager.default.moveItem(at: file.path, to: path)
            images.append(
                StoredImage(
                    url: "\(baseURL)/files/tunes/\(id)/\(stored)", path: path.path, filename: file.filename,
                    contentType: file.contentType, byteCount: file.byteCount, sha256: file.sha256
                )
            )
        }
        let now = Date()
        let duration = draft.branch == "fast" ? fastTrainingDuration : trainingDuration
        let eta = now.addingTimeInterval(duration.seconds)
        let prompts = draft.prompts.map { text, negative, callback in
            defer { nextPromptID += 1 }
            return Prompt(
                id: nextPromptID, tuneID: id, text: text, negativePrompt: negative, callback: callback,
                createdAt: now, trainedAt: nil, images: []
            )
        }
        let tune = Tune(
            id: id, title: draft.title, name: draft.name, token: draft.token, branch: draft.branch,
            modelType: draft.modelType, baseTuneID: draft.baseTuneID, preset: draft.preset, steps: draft.steps,
            faceCrop: draft.faceCrop, trainingFaceCorrect: draft.trainingFaceCorrect, autoExtend: draft.autoExtend,
            characteristics: draft.characteristics, callback: draft.callback, packID: draft.packID,
            tuneIDs: draft.tuneIDs, images: images, imageURLs: draft.imageURLs, prompts: prompts,
            promptsCallback: draft.promptsCallback, createdAt: now, eta: eta, trainedAt: nil
        )
        tunes[id] = tune
        training[id] = Task(executorPreference: ServerExecutor.shared) { [weak self] in
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled else { return }
            await self?.finishTraining(id)
        }
        return (tune, true)
    }

    /// Newest first. `offset` above 200 is refused, as the service does.
    func list(limit: Int, beforeID: Int?, offset: Int) -> [Tune] {
        tunes.values
            .filter { beforeID == nil || $0.id < beforeID! }
            .sorted { $0.id > $1.id }
            .dropFirst(offset)
            .prefix(limit)
            .map { $0 }
    }

    func tune(_ id: Int) -> Tune? { tunes[id] }

    /// Removes the tune and its images; its training stops.
    func delete(_ id: Int) -> Tune? {
        guard let tune = tunes.removeValue(forKey: id) else { return nil }
        training.removeValue(forKey: id)?.cancel()
        try? FileManager.default.removeItem(at: imagesDirectory.appendingPathComponent(String(id)))
        return tune
    }

    func all() -> [Tune] { tunes.values.sorted { $0.id > $1.id } }

    func callbackDeliveries() -> [CallbackDelivery] { deliveries }

    /// Stops every training timer (the server is stopping).
    func stopTraining() {
        for task in training.values { task.cancel() }
        training.removeAll()
    }

    private func finishTraining(_ id: Int) {
        training[id] = nil
        guard var tune = tunes[id], tune.trainedAt == nil else { return }
        let now = Date()
        tune.trainedAt = now
        for i in tune.prompts.indices {
            tune.prompts[i].trainedAt = now
            tune.prompts[i].images = [Tune.checkpointURL(baseURL: baseURL)]
        }
        tunes[id] = tune
        guard let callbacks else { return }
        var posts: [(CallbackDelivery.Kind, String, JSONValue)] = []
        if let url = tune.callback { posts.append((.tune, url, tune.json(baseURL: baseURL))) }
        for prompt in tune.prompts {
            if let url = prompt.callback { posts.append((.prompt, url, prompt.json(baseURL: baseURL))) }
        }
        if let url = tune.promptsCallback {
            posts.append((.prompts, url, .array(tune.prompts.map { $0.json(baseURL: baseURL) })))
        }
        guard !posts.isEmpty else { return }
        // Delivered outside the actor so that a slow receiver does not hold up requests.
        Task(executorPreference: ServerExecutor.shared) { [weak self] in
            for (kind, url, body) in posts {
                let (status, error) = await callbacks.post(body.data, to: url)
                await self?.record(CallbackDelivery(kind: kind, tuneID: id, url: url, status: status, error: error))
            }
        }
    }

    private func record(_ delivery: CallbackDelivery) {
        deliveries.append(delivery)
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// A filename safe to store and to put in a URL: letters, digits, `.`, `-`, `_` only.
    static func safeFilename(_ name: String, kind: String?) -> String {
        let base = (name as NSString).lastPathComponent
        let cleaned = String(base.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_")) ? c : "_"
        })
        let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return trimmed.isEmpty ? "image.\(kind ?? "bin")" : trimmed
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
