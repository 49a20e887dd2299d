import Foundation
import TunePrep

/// Renders a manifest as the human table of `check` and `prepare`.
enum SetReportRenderer {
    static func verdict(of image: Manifest.Image) -> String {
        if let error = image.findings.first(where: { $0.severity == .error }) { return error.code.rawValue }
        return image.findings.isEmpty ? "ok" : "ok (warnings)"
    }

    static func table(_ manifest: Manifest) -> String {
        // The FACES column only when the person checks ran.
        let faces = manifest.personChecks != nil
        var rows: [[String]] = [["FILE", "PIXELS", "BYTES"] + (faces ? ["FACES"] : []) + ["VERDICT", "REASONS"]]
        for image in manifest.images {
            let pixels = image.sourceWidth.flatMap { w in image.sourceHeight.map { "\(w)x\($0)" } } ?? "-"
            let bytes = image.sourceBytes.map(byteString) ?? "-"
            let reasons = image.findings.map(\.message).joined(separator: "; ")
            rows.append([image.source, pixels, bytes] + (faces ? [facesCell(image.person)] : []) + [verdict(of: image), reasons])
        }
        let fixed = rows[0].count - 1
        let widths = (0..<fixed).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            (0..<fixed).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + row[fixed]
        }
        lines = lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
        lines.append("")
        lines.append(summary(manifest))
        if let people = personSummary(manifest) { lines.append(people) }
        for finding in manifest.findings { lines.append("  \(finding.severity.rawValue): \(finding.message)\(hint(for: finding))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the command's user can do about a set finding, with the flag (the manifest states
    /// only the fact).
    static func hint(for finding: Finding) -> String {
        finding.code == .tooManyImages ? " (choose the best, or raise --max-images)" : ""
    }

    static func summary(_ manifest: Manifest) -> String {
        let s = manifest.summary
        return "\(s.inputs) photo\(s.inputs == 1 ? "" : "s"): \(s.staged) usable, \(s.rejected) rejected, "
            + "\(s.warnings) warning\(s.warnings == 1 ? "" : "s"); \(byteString(s.totalBytes)) prepared; "
            + (s.usable ? "set is usable" : "set is NOT usable")
    }

    /// Faces found and the main face's framing: `1 close-up`, `2 half-body`, `0`, or `-` when
    /// the photo was rejected before the person checks.
    static func facesCell(_ person: PersonReport?) -> String {
        guard let person else { return "-" }
        return "\(person.faces.count)" + (person.framing.map { " \($0.rawValue)" } ?? "")
    }

    static func personSummary(_ manifest: Manifest) -> String? {
        guard let p = manifest.personChecks else { return nil }
        let identity = p.identityChecked
            ? "same person checked against \(p.consensus ?? "the consensus")"
            : "same person NOT checked (\(p.identitySkipped ?? "unknown reason"))"
        let detector = p.detectorFallback != nil ? "faces by HOG (the CNN's model did not load)" : "faces by \(p.detector ?? "hog")"
        let body = p.poseMissing != nil ? " (from the face alone: the pose network did not load)" : ""
        return "\(detector); framing\(body): \(p.closeUps) close-up, \(p.halfBody) half-body, \(p.fullBody) full-body; \(identity)"
    }

    static func byteString(_ bytes: Int) -> String {
        if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        if bytes >= 1_000 { return String(format: "%.0f kB", Double(bytes) / 1_000) }
        return "\(bytes) B"
    }

    static func json(_ manifest: Manifest) throws -> String {
        String(decoding: try Manifest.makeEncoder().encode(manifest), as: UTF8.self) + "\n"
    }
}
