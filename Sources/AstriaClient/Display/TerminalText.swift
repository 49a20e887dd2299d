/// Text that came from the server, made safe to show on a terminal or in a log line.
///
/// Titles, names and error bodies are the service's (or a stranger's, through a shared account):
/// raw, an ESC sequence could recolour or clear the screen and a CR or LF could forge a line of
/// our own output. Control characters (C0, DEL, C1) and the bidirectional overrides that reorder
/// text become visible escapes (`\n`, `\r`, `\t`, `\u{1B}`); everything else, UTF-8 included, stays.
public func sanitizedForTerminal(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        guard needsEscape(scalar) else {
            out.unicodeScalars.append(scalar)
            continue
        }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
    return out
}

private func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: return true
    // Bidirectional embeddings, overrides and isolates, and the line/paragraph separators.
    case 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0x200E, 0x200F, 0x061C: return true
    default: return false
    }
}
