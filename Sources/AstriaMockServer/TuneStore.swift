import TunePrepDigest
import Foundation

/// The tunes, their prompts, their stored images, and the timers that train and "generate" them.
actor TuneStore {
    enum ListError: Error, Equatable {
        case badParameter(String)
    }

    private let dataDirectory: URL
    private let address: BaseAddress
    private var baseURL: String { address.url }
    private let options: MockServerOptions
    private let pictures: PromptImages
    private let callbacks: CallbackSender?
    private var tunes: [Int: Tune] = [:]
    private var nextTuneID: Int
    private var nextPromptID = 1
    /// Turns through the picture sources, so that consecutive pictures differ.
    private var nextPicture = 0
    private var training: [Int: Task<Void, Never>] = [:]
    /// Prompt id to the timer that finishes it.
    private var generating: [Int: Task<Void, Never>] = [:]
    private var deliveries: [CallbackDelivery] = []
    /// Whether an upload is a whole JPEG, by path: read once, not for every prompt.
    private var wholeJPEG: [String: Bool] = [:]

    init(dataDirectory: URL, address: BaseAddress, options: MockServerOptions) {
        self.dataDirectory = dataDirectory
        self.address = address
        self.options = options
        self.pictures = PromptImages(directory: options.promptImagesDirectory)
        self.callbacks = options.deliverCallbacks ? CallbackSender() : nil
        // Tune records live in memory; starting after the folders already in the data
        // folder keeps a restarted server from writing over earlier uploads.
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.appendingPathComponent("tunes").path)) ?? []
        self.nextTuneID = (existing.compactMap(Int.init).max() ?? 0) + 1
    }

    var imagesDirectory: URL { dataDirectory.appendingPathComponent("tunes") }

    /// What prompts' picture URLs start with: the option, else the server itself.
    private var pictureBaseURL: String {
        guard let base = options.imageBaseURL?.absoluteString else { return baseURL }
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

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
        // A FaceID tune trains nothing: the service sets `trained_at` at creation.
        let faceID = draft.modelType == "faceid"
        let duration = faceID ? .zero : draft.branch == "fast" ? options.fastTrainingDuration : options.trainingDuration
        let eta = now.addingTimeInterval(duration.seconds)
        let prompts = draft.prompts.map { makePrompt($0, tuneID: id, withTune: true, at: now) }
        let tune = Tune(
            id: id, title: draft.title, name: draft.name, token: draft.token, branch: draft.branch,
            modelType: draft.modelType, baseTuneID: draft.baseTuneID, preset: draft.preset, steps: draft.steps,
            faceCrop: draft.faceCrop, trainingFaceCorrect: draft.trainingFaceCorrect, autoExtend: draft.autoExtend,
            characteristics: draft.characteristics, callback: draft.callback, packID: draft.packID,
            tuneIDs: draft.tuneIDs, images: images, imageURLs: draft.imageURLs, prompts: prompts,
            promptsCallback: draft.promptsCallback, overdue: options.tunesOverdue && !faceID,
            createdAt: now, eta: eta, trainedAt: nil
        )
        tunes[id] = tune
        if faceID {
            finishTraining(id, at: now)
        } else if !tune.overdue {
            training[id] = Task(executorPreference: ServerExecutor.shared) { [weak self] in
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled else { return }
                await self?.finishTraining(id, at: Date())
            }
        }
        return (tunes[id] ?? tune, true)
    }

    /// Newest first. `offset` above 200 is refused, as the service does.
    func list(limit: Int, beforeID: Int?, offset: Int) -> [Tune] {
        Self.page(tunes.values.map { $0 }, id: \.id, limit: limit, beforeID: beforeID, offset: offset)
    }

    /// Newest first, by id.
    private static func page<T>(_ items: [T], id: (T) -> Int, limit: Int, beforeID: Int?, offset: Int) -> [T] {
        items
            .filter { beforeID == nil || id($0) < beforeID! }
            .sorted { id($0) > id($1) }
            .dropFirst(offset)
            .prefix(limit)
            .map { $0 }
    }

    func tune(_ id: Int) -> Tune? { tunes[id] }

    /// Removes the tune, its prompts and all their images; its timers stop.
    func delete(_ id: Int) -> Tune? {
        guard let tune = tunes.removeValue(forKey: id) else { return nil }
        training.removeValue(forKey: id)?.cancel()
        for prompt in tune.prompts { generating.removeValue(forKey: prompt.id)?.cancel() }
        try? FileManager.default.removeItem(at: imagesDirectory.appendingPathComponent(String(id)))
        for image in tune.images { wholeJPEG[image.path] = nil }
        return tune
    }

    func all() -> [Tune] { tunes.values.sorted { $0.id > $1.id } }

    /// Every live prompt, newest first.
    func allPrompts() -> [Prompt] { tunes.values.flatMap(\.prompts).sorted { $0.id > $1.id } }

    func callbackDeliveries() -> [CallbackDelivery] { deliveries }

    /// Stops every training and generation timer (the server is stopping).
    func stopTraining() {
        for task in training.values { task.cancel() }
        training.removeAll()
        for task in generating.values { task.cancel() }
        generating.removeAll()
    }

    // MARK: Prompts

    /// Adds a prompt to the tune (nil when there is no such tune). Not idempotent, as the service's.
    func createPrompt(_ draft: PromptDraft, tuneID: Int) -> Prompt? {
        guard var tune = tunes[tuneID] else { return nil }
        var draft = draft
        // The tune's class, token and characteristics fill `{{...}}`, as in prompts given at creation.
        let values = ["name": tune.name, "token": tune.token].merging(tune.characteristics, uniquingKeysWith: { a, _ in a })
        draft.text = TuneValidation.fill(draft.text, values)
        let prompt = makePrompt(draft, tuneID: tuneID, withTune: false, at: Date())
        tune.prompts.append(prompt)
        tunes[tuneID] = tune
        if tune.trainedAt != nil { startGenerating(prompt.id, of: tuneID) }
        return self.prompt(prompt.id, of: tuneID)
    }

    /// Newest first; nil when there is no such tune.
    func prompts(of tuneID: Int, limit: Int, beforeID: Int?, offset: Int) -> [Prompt]? {
        guard let tune = tunes[tuneID] else { return nil }
        return Self.page(tune.prompts, id: \.id, limit: limit, beforeID: beforeID, offset: offset)
    }

    func prompt(_ id: Int, of tuneID: Int) -> Prompt? { tunes[tuneID]?.prompts.first { $0.id == id } }

    /// Removes the prompt (only through its own tune) and its pictures; it will not finish.
    func deletePrompt(_ id: Int, of tuneID: Int) -> Prompt? {
        guard var tune = tunes[tuneID], let index = tune.prompts.firstIndex(where: { $0.id == id }) else { return nil }
        let prompt = tune.prompts.remove(at: index)
        tunes[tuneID] = tune
        generating.removeValue(forKey: id)?.cancel()
        try? FileManager.default.removeItem(at: promptFolder(id, of: tuneID))
        return prompt
    }

    /// Makes a tune that is still training never finish. False when there is no such tune or it has trained.
    func makeOverdue(_ id: Int) -> Bool {
        guard var tune = tunes[id], tune.trainedAt == nil else { return false }
        tune.overdue = true
        tunes[id] = tune
        training.removeValue(forKey: id)?.cancel()
        return true
    }

    /// Ends a tune's training now, an overdue one's too. False when there is no such tune or it has trained.
    func trainNow(_ id: Int) -> Bool {
        guard var tune = tunes[id], tune.trainedAt == nil else { return false }
        tune.overdue = false
        tunes[id] = tune
        training.removeValue(forKey: id)?.cancel()
        finishTraining(id, at: Date())
        return true
    }

    /// Makes an unfinished prompt fail with `userError`. False when there is no such prompt or it has finished.
    func failPrompt(_ id: Int, userError: String) -> Bool {
        for (tuneID, var tune) in tunes {
            guard let i = tune.prompts.firstIndex(where: { $0.id == id }) else { continue }
            guard tune.prompts[i].trainedAt == nil else { return false }
            tune.prompts[i].failure = userError
            tunes[tuneID] = tune
            return true
        }
        return false
    }

    private func makePrompt(_ draft: PromptDraft, tuneID: Int, withTune: Bool, at now: Date) -> Prompt {
        defer { nextPromptID += 1 }
        return Prompt(
            id: nextPromptID, tuneID: tuneID, text: draft.text, negativePrompt: draft.negativePrompt,
            numImages: draft.numImages, callback: draft.callback, settings: draft.settings,
            createdWithTune: withTune, createdAt: now, startedAt: nil, trainedAt: nil, images: [],
            userError: nil, failure: options.promptFailure
        )
    }

    private func promptFolder(_ id: Int, of tuneID: Int) -> URL {
        imagesDirectory.appendingPathComponent(String(tuneID)).appendingPathComponent("prompts")
            .appendingPathComponent(String(id))
    }

    /// Starts the prompt's generation: it finishes a prompt duration from now.
    private func startGenerating(_ id: Int, of tuneID: Int) {
        guard var tune = tunes[tuneID], let i = tune.prompts.firstIndex(where: { $0.id == id }),
            tune.prompts[i].startedAt == nil
        else { return }
        tune.prompts[i].startedAt = Date()
        tunes[tuneID] = tune
        let duration = tune.branch == "fast" ? options.fastPromptDuration : options.promptDuration
        generating[id] = Task(executorPreference: ServerExecutor.shared) { [weak self] in
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled else { return }
            await self?.finishPrompt(id, of: tuneID)
        }
    }

    private func finishTraining(_ id: Int, at now: Date) {
        training[id] = nil
        guard var tune = tunes[id], tune.trainedAt == nil else { return }
        tune.trainedAt = now
        tunes[id] = tune
        // Prompts waiting for the model start now.
        for prompt in tune.prompts { startGenerating(prompt.id, of: id) }
        if let url = tune.callback { send([(.tune, url, tune.json(baseURL: baseURL), nil)], tuneID: id) }
    }

    private func finishPrompt(_ id: Int, of tuneID: Int) {
        generating[id] = nil
        guard var tune = tunes[tuneID], let i = tune.prompts.firstIndex(where: { $0.id == id }),
            tune.prompts[i].trainedAt == nil
        else { return }
        var prompt = tune.prompts[i]
        if let failure = prompt.failure {
            prompt.userError = failure
        } else {
            do {
                prompt.images = try makePictures(for: prompt, uploads: tune.images)
            } catch {
                prompt.userError = "The mock server could not store the pictures: \(error.localizedDescription)"
            }
        }
        prompt.trainedAt = Date()
        tune.prompts[i] = prompt
        var posts: [(CallbackDelivery.Kind, String, JSONValue, Int?)] = []
        if let url = prompt.callback { posts.append((.prompt, url, prompt.json(baseURL: baseURL), id)) }
        // A pack's `prompts_callback` goes once, when the last of the prompts it came with is done.
        let own = tune.prompts.filter(\.createdWithTune)
        if let url = tune.promptsCallback, !tune.promptsCallbackSent, own.allSatisfy({ $0.trainedAt != nil }) {
            tune.promptsCallbackSent = true
            posts.append((.prompts, url, .array(own.map { $0.json(baseURL: baseURL) }), nil))
        }
        tunes[tuneID] = tune
        send(posts, tuneID: tuneID)
    }

    /// Copies `numImages` real JPEGs into the prompt's folder, served under `/files/`; their URLs.
    private func makePictures(for prompt: Prompt, uploads: [StoredImage]) throws -> [String] {
        let folder = promptFolder(prompt.id, of: prompt.tuneID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sources = pictures.sources(uploads: uploads) { url in
            if let known = wholeJPEG[url.path] { return known }
            let whole = FileManager.default.contents(atPath: url.path).map(JPEG.isWellFormed) ?? false
            wholeJPEG[url.path] = whole
            return whole
        }
        var urls: [String] = []
        for n in 1...max(1, prompt.numImages) {
            let name = "\(n).jpg"
            let target = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            if sources.isEmpty {
                try PromptImages.builtIn.write(to: target)
            } else {
                try FileManager.default.copyItem(at: sources[nextPicture % sources.count], to: target)
                nextPicture += 1
            }
            urls.append("\(pictureBaseURL)/files/tunes/\(prompt.tuneID)/prompts/\(prompt.id)/\(name)")
        }
        return urls
    }

    /// POSTs the callbacks in order, once each, outside the actor so that a slow receiver does not
    /// hold up requests; each is recorded and logged.
    private func send(_ posts: [(CallbackDelivery.Kind, String, JSONValue, Int?)], tuneID: Int) {
        guard let callbacks, !posts.isEmpty else { return }
        let log = options.requestLog
        Task(executorPreference: ServerExecutor.shared) { [weak self] in
            for (kind, url, body, promptID) in posts {
                let (status, error) = await callbacks.post(body.data, to: url)
                await self?.record(CallbackDelivery(kind: kind, tuneID: tuneID, promptID: promptID, url: url, status: status, error: error))
                if let log {
                    // The query is left out: the service suggests carrying the user's context there.
                    let about = promptID.map { "prompt \($0) of tune \(tuneID)" } ?? "tune \(tuneID)"
                    let target = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
                    log("CALLBACK \(kind.rawValue) (\(about)) POST \(target) \(status.map(String.init) ?? "failed: \(error ?? "unreachable")")")
                }
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
