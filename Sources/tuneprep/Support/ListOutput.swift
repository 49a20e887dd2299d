import AstriaClient
import Foundation

// How the list and show commands (`tunes`, `prompts`) print what the service answered, and the
// NDJSON events of every command with --json.

func shortDate(_ date: Date) -> String {
    String(AstriaDate.format(date).prefix(16)).replacingOccurrences(of: "T", with: " ")
}

func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// Entries of a list answer that could not be read: named on stderr, and the command fails (exit 1)
/// rather than pass off a partial list as the whole.
func reportUnreadable(_ entries: [UnreadableEntry], what: String) throws {
    guard !entries.isEmpty else { return }
    for entry in entries { CommandRunner.printError("\(what) list \(entry.description)") }
    throw CommandFailure(.failure, "\(entries.count) \(what)\(entries.count == 1 ? "" : "s") of the service's answer could not be read (listed above)")
}

/// Left-aligned columns; a cell is cut at 40 characters so one long title cannot wreck the table.
func printTable(_ header: [String], _ rows: [[String]], unreadable: Int = 0) {
    // The service's strings, escaped first so a title cannot drive the terminal or forge a row.
    let cut = rows.map { $0.map(sanitizedForTerminal).map { $0.count > 40 ? String($0.prefix(39)) + "…" : $0 } }
    var widths = header.map(\.count)
    for row in cut { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    for row in [header] + cut {
        print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
    if rows.isEmpty && unreadable == 0 { FileHandle.standardError.write(Data("(no entries)\n".utf8)) }
}

/// Writes one JSON object per line to stdout (NDJSON).
enum JSONLines {
    static func write(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func object<T: Encodable>(_ value: T) -> Any {
        guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data) else { return NSNull() }
        return object
    }
}
