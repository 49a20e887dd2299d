import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs callback bodies (JSON) to the receivers named in tunes, once each, as the service does.
struct CallbackSender: Sendable {
    var timeout: TimeInterval = 10

    /// The receiver's status, or the reason it could not be reached.
    func post(_ body: Data, to url: String) async -> (status: Int?, error: String?) {
        guard let target = URL(string: url) else { return (nil, "invalid URL") }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("AstriaMockServer", forHTTPHeaderField: "User-Agent")
        request.httpBody = body
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode, nil)
        } catch {
            return (nil, error.localizedDescription)
        }
    }
}
