import Foundation
import Hummingbird

/// The API's endpoints, the served files and the callback sink.
struct Routes: Sendable {
    let options: MockServerOptions
    let store: TuneStore
    let journal: RequestJournal
    let dataDirectory: URL
    let address: BaseAddress
    let startedAt: Date

    private var baseURL: String { address.url }
    /// Where uploads are written while they arrive (hidden, so never served).
    var spoolDirectory: URL { dataDirectory.appendingPathComponent(".spool") }

    func register(on router: Router<MockRequestContext>) {
        router.post("tunes") { request, context in try await createTune(request, context, packID: nil) }
        router.post("p/:pack_id/tunes") { request, context in
            try await createTune(request, context, packID: context.parameters.get("pack_id") ?? "")
        }
        router.post("tunes/:id/prompts") { request, context in try await createPrompt(request, context) }
        // Every GET answers HEAD too (the gate drops the body).
        for method in [HTTPRequest.Method.get, .head] {
            router.on("tunes", method: method) { request, _ in await listTunes(request) }
            router.on("tunes/:id", method: method) { _, context in await showTune(context.parameters.get("id")) }
            router.on("tunes/:id/prompts", method: method) { request, context in
                await listPrompts(request, context.parameters.get("id"))
            }
            router.on("tunes/:id/prompts/:prompt_id", method: method) { _, context in
                await showPrompt(context.parameters.get("id"), context.parameters.get("prompt_id"))
            }
            router.on("packs", method: method) { _, _ in packs() }
            router.on("gallery/packs", method: method) { _, _ in packs() }
            router.on("files/**", method: method) { _, context in serveFile(context.parameters.getCatchAll()) }
        }
        router.delete("tunes/:id") { _, context in await deleteTune(context.parameters.get("id")) }
        router.delete("tunes/:id/prompts/:prompt_id") { _, context in
            await deletePrompt(context.parameters.get("id"), context.parameters.get("prompt_id"))
        }
        router.post("_mock/callbacks/**") { request, _ in try await receiveCallback(request) }
    }

    /// A refused body, as the answer to send.
    private struct BodyRefusal: Error { var response: Response }

    /// Reads a creating request's body (form or JSON; files spooled to disk) and records its
    /// fields and files in the request's log entry; a body that cannot be read is the answer.
    private func readBody(
        _ request: Request, _ context: MockRequestContext, wrapKey: String
    ) async throws -> Result<ParsedBody, BodyRefusal> {
        let parsed: ParsedBody
        do {
            parsed = try await BodyParser.parse(request, limit: options.maxBodyBytes, spool: spoolDirectory, wrapKey: wrapKey)
        } catch let error as BodyParser.BadBody {
            return .failure(BodyRefusal(response: Responses.error(error.status, error.reason)))
        }
        context.notes.set(
            fields: parsed.fields,
            files: parsed.files.map {
                RecordedFile(
                    fieldName: $0.fieldName, filename: $0.filename, contentType: $0.contentType,
                    byteCount: $0.byteCount, sha256: $0.sha256
                )
            }
        )
        return .success(parsed)
    }

    private func createTune(_ request: Request, _ context: MockRequestContext, packID: String?) async throws -> Response {
        let parsed: ParsedBody
        switch try await readBody(request, context, wrapKey: "tune") {
        case .success(let body): parsed = body
        case .failure(let refusal): return refusal.response
        }
        // The tune moves the files it keeps; the rest (refused, idempotent hit) go now.
        defer { for url in parsed.spooled { try? FileManager.default.removeItem(at: url) } }
        var pack: Pack?
        if let packID {
            guard let id = Int(packID), let found = Pack.find(id) else {
                return Responses.error(.notFound, "Pack not found")
            }
            pack = found
        }
        guard let tuneParams = parsed.params["tune"]?.hash, !tuneParams.pairs.isEmpty else {
            return Responses.error(.badRequest, "param is missing or the value is empty: tune")
        }
        switch TuneValidation.validate(tuneParams, pack: pack) {
        case .failure(let errors):
            return Responses.json(.unprocessableContent, errors.json)
        case .success(let draft):
            let (tune, created) = try await store.create(draft, idempotency: options.idempotency)
            return Responses.json(created ? .created : .ok, tune.json(baseURL: baseURL))
        }
    }

    /// `limit`, `offset` and `before_id` of a listing; `maxOffset` is the service's bound for it.
    private func paging(_ request: Request, maxOffset: Int) -> Result<(limit: Int, offset: Int, beforeID: Int?), BadQuery> {
        let query = Dictionary(
            RailsParameters.formPairs(request.uri.query ?? ""), uniquingKeysWith: { _, last in last }
        )
        func integer(_ name: String, minimum: Int) throws(BadQuery) -> Int? {
            guard let text = query[name], !text.isEmpty else { return nil }
            guard let n = Int(text), n >= minimum else {
                throw BadQuery(message: "\(name) must be an integer of at least \(minimum)")
            }
            return n
        }
        let limit: Int, offset: Int, beforeID: Int?
        do {
            limit = min(try integer("limit", minimum: 1) ?? 20, 120)
            offset = try integer("offset", minimum: 0) ?? 0
            beforeID = try integer("before_id", minimum: 1)
        } catch {
            return .failure(error)
        }
        guard offset <= maxOffset else {
            return .failure(BadQuery(message: "offset must be at most \(maxOffset); page with before_id instead"))
        }
        return .success((limit, offset, beforeID))
    }

    struct BadQuery: Error { var message: String }

    private func listTunes(_ request: Request) async -> Response {
        switch paging(request, maxOffset: 200) {
        case .failure(let error):
            return Responses.error(.badRequest, error.message)
        case .success(let page):
            let tunes = await store.list(limit: page.limit, beforeID: page.beforeID, offset: page.offset)
            return Responses.json(.ok, .array(tunes.map { $0.json(baseURL: baseURL) }))
        }
    }

    /// `/tunes/12` and `/tunes/12.json` (the tune's `url`) name the same tune; so for prompts.
    private func tuneID(_ text: String?) -> Int? {
        guard var text else { return nil }
        if text.hasSuffix(".json") { text.removeLast(5) }
        return Int(text)
    }

    private func showTune(_ id: String?) async -> Response {
        guard let id = tuneID(id), let tune = await store.tune(id) else { return Responses.error(.notFound, "Not found") }
        return Responses.json(.ok, tune.json(baseURL: baseURL))
    }

    private func deleteTune(_ id: String?) async -> Response {
        guard let id = tuneID(id), let tune = await store.delete(id) else { return Responses.error(.notFound, "Not found") }
        return Responses.json(.ok, tune.json(baseURL: baseURL))
    }

    private func createPrompt(_ request: Request, _ context: MockRequestContext) async throws -> Response {
        let parsed: ParsedBody
        switch try await readBody(request, context, wrapKey: "prompt") {
        case .success(let body): parsed = body
        case .failure(let refusal): return refusal.response
        }
        // Files (an input image) are not kept: the mock makes no use of them.
        defer { for url in parsed.spooled { try? FileManager.default.removeItem(at: url) } }
        guard let tuneID = tuneID(context.parameters.get("id")), await store.tune(tuneID) != nil else {
            return Responses.error(.notFound, "Not found")
        }
        guard let params = parsed.params["prompt"]?.hash, !params.pairs.isEmpty else {
            return Responses.error(.badRequest, "param is missing or the value is empty: prompt")
        }
        var errors = ValidationErrors()
        guard let draft = PromptValidation.validate(params, prefix: "", errors: &errors) else {
            return Responses.json(.unprocessableContent, errors.json)
        }
        // The tune can have been deleted since the check above.
        guard let prompt = await store.createPrompt(draft, tuneID: tuneID) else { return Responses.error(.notFound, "Not found") }
        return Responses.json(.created, prompt.json(baseURL: baseURL))
    }

    private func listPrompts(_ request: Request, _ id: String?) async -> Response {
        // Checked before the query, as the service finds the tune first.
        guard let id = tuneID(id), await store.tune(id) != nil else { return Responses.error(.notFound, "Not found") }
        switch paging(request, maxOffset: 10_000) {
        case .failure(let error):
            return Responses.error(.badRequest, error.message)
        case .success(let page):
            guard let prompts = await store.prompts(of: id, limit: page.limit, beforeID: page.beforeID, offset: page.offset)
            else { return Responses.error(.notFound, "Not found") }
            return Responses.json(.ok, .array(prompts.map { $0.json(baseURL: baseURL) }))
        }
    }

    private func showPrompt(_ tune: String?, _ id: String?) async -> Response {
        guard let tune = tuneID(tune), let id = tuneID(id), let prompt = await store.prompt(id, of: tune) else {
            return Responses.error(.notFound, "Not found")
        }
        return Responses.json(.ok, prompt.json(baseURL: baseURL))
    }

    private func deletePrompt(_ tune: String?, _ id: String?) async -> Response {
        guard let tune = tuneID(tune), let id = tuneID(id), let prompt = await store.deletePrompt(id, of: tune) else {
            return Responses.error(.notFound, "Not found")
        }
        return Responses.json(.ok, prompt.json(baseURL: baseURL))
    }

    private func packs() -> Response {
        Responses.json(.ok, .array(Pack.builtIn.map { $0.json(createdAt: startedAt) }))
    }

    private func serveFile(_ components: [Substring]) -> Response {
        if components == ["mock"] {
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: .init(byteBuffer: ByteBuffer(string: "astria mock checkpoint\n"))
            )
        }
        // Only plain names: no "..", no hidden files, nothing outside the data folder.
        guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\\") })
        else { return Responses.error(.notFound, "Not found") }
        let url = components.reduce(dataDirectory) { $0.appendingPathComponent(String($1)) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return Responses.error(.notFound, "Not found")
        }
        let types = ["jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heic": "image/heic"]
        let type = ImageSniffer.kind(of: data).flatMap { types[$0] } ?? "application/octet-stream"
        return Response(
            status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private func receiveCallback(_ request: Request) async throws -> Response {
        let body = try await BodyParser.read(request, limit: options.maxBodyBytes)
        await journal.append(ReceivedCallback(path: request.uri.description, body: body))
        return Responses.json(.ok, .object([("ok", .bool(true))]))
    }
}
