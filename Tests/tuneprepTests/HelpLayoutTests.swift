import Foundation
import Testing

/// Every command's `--help` laid out alike, and shell completion that knows paths and values.
@Suite("help layout and completion")
struct HelpLayoutTests {
    /// Every command a user can ask for help on, hidden ones included.
    static let commands: [[String]] = [
        [], ["prepare"], ["check"], ["submit"], ["tunes"], ["tunes", "list"], ["tunes", "show"], ["tunes", "delete"],
        ["tunes", "packs"], ["serve-mock"], ["make-samples"],
    ]
    /// ArgumentParser wraps help at the width it is given; lines hold at most width - 1 characters.
    static let width = 80

    @Test("--help of every command: paragraphs unbroken, a blank line before one \"Exit status\", [<options>], named placeholders, plain defaults",
          arguments: commands)
    func layout(_ command: [String]) throws {
        let result = try TuneprepBinary.run(command + ["--help"], environment: ["COLUMNS": String(Self.width)])
        let name = (["tuneprep"] + command).joined(separator: " ")
        #expect(result.status == 0, "\(name): \(result.stderr)")
        let lines = result.stdout.components(separatedBy: "\n")

        // The overview and discussion: a line is broken only where the next word would not fit.
        let usageIndex = try #require(lines.firstIndex { $0.hasPrefix("USAGE: ") }, "\(name) has a usage line")
        for i in 0..<usageIndex - 1 where !lines[i].isEmpty && !lines[i + 1].isEmpty {
            let next = lines[i + 1].split(separator: " ").first.map(String.init) ?? ""
            #expect(lines[i].count + 1 + next.count > Self.width - 1,
                    "\(name): hard line break after \"\(lines[i])\" (\"\(next)\" would fit)")
        }

        // One "Exit status" paragraph, one wording, after a blank line.
        let exitLines = lines.indices.filter { lines[$0].hasPrefix("Exit status: ") }
        #expect(exitLines.count == 1, "\(name) states its exit status once")
        if let i = exitLines.first { #expect(i > 0 && lines[i - 1].isEmpty, "\(name): blank line before Exit status") }
        #expect(!result.stdout.contains("Exit codes"), "\(name): one wording")
        #expect(result.stdout.replacingOccurrences(of: "\n", with: " ").contains(" 2 usage or I/O error"), "\(name): code 2 worded alike")

        // The usage line names [<options>] right after the command, on one line.
        let usage = lines[usageIndex]
        #expect(usage.hasPrefix("USAGE: \(name) [<options>]"), "\(name): \(usage)")
        #expect(usage.count <= Self.width - 1, "\(name): usage fits one line")

        // Placeholders say what a value is: never just the option's own multi-word name.
        let placeholder = try Regex(#"--([a-z]+-[a-z-]+) <\1>"#)
        #expect(result.stdout.firstMatch(of: placeholder) == nil, "\(name): placeholder repeating its option's name")
        // Defaults as typed: 30, not 30.0.
        let swiftDouble = try Regex(#"default: -?[0-9]+\.0\)"#)
        #expect(result.stdout.firstMatch(of: swiftDouble) == nil, "\(name): a default printed as a Swift Double")
    }

    @Test("the top-level exit status lists every code submit, tunes and prompts use, in the same words")
    func topLevelSummaryMatchesTheCommands() throws {
        let environment = ["COLUMNS": "1000"]
        func exitStatus(_ command: [String]) throws -> [String: String] {
            let help = try TuneprepBinary.run(command + ["--help"], environment: environment).stdout
            let line = try #require(help.components(separatedBy: "\n").first { $0.hasPrefix("Exit status: ") })
            var codes: [String: String] = [:]
            let entry = try Regex(#"(?:: |, )([0-9]+) "#)
            let starts = line.matches(of: entry)
            for (k, match) in starts.enumerated() {
                let end = k + 1 < starts.count ? starts[k + 1].range.lowerBound : line.index(before: line.endIndex)
                codes[String(match.output[1].substring ?? "")] = String(line[match.range.upperBound..<end])
            }
            return codes
        }
        let top = try exitStatus([])
        for command in [["submit"], ["tunes"], ["tunes", "list"], ["tunes", "wait"], ["prompts"], ["prompts", "create"], ["prompts", "download"]] {
            for (code, words) in try exitStatus(command) where code != "0" && code != "1" {
                #expect(top[code] == words, "\(command): code \(code) is \"\(words)\" there, \"\(top[code] ?? "missing")\" at the top")
            }
        }
        #expect(top.keys.sorted() == ["0", "1", "10", "11", "12", "129", "130", "143", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    @Test("completion: files and folders for every path, the four --branch values")
    func completionKinds() throws {
        let dump = try TuneprepBinary.run(["--experimental-dump-help"])
        #expect(dump.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var kinds: [String: String] = [:]  // "command --option" or "command <value>" -> kind
        func walk(_ command: [String: Any], _ path: String) {
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let names = (argument["names"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                let key = names.first.map { "\(path) --\($0)" } ?? "\(path) <\(argument["valueName"] as? String ?? "")>"
                guard let completion = argument["completionKind"] as? [String: Any], let kind = completion.keys.first else { continue }
                if kind == "list", let values = (completion["list"] as? [String: Any])?["values"] as? [String] {
                    kinds[key] = "list:" + values.joined(separator: ",")
                } else {
                    kinds[key] = kind
                }
                // A value named path or folder always completes as one.
                if let value = argument["valueName"] as? String, value == "path" || value == "folder" {
                    #expect(kind == (value == "path" ? "file" : "directory"), "\(key)")
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + " " + (sub["commandName"] as? String ?? ""))
            }
        }
        walk(try #require(root["command"] as? [String: Any]), "tuneprep")
        let expected = [
            "tuneprep prepare <path>": "file", "tuneprep prepare --out": "directory", "tuneprep prepare --models": "directory",
            "tuneprep check <path>": "file", "tuneprep check --models": "directory",
            "tuneprep submit <folder>": "directory", "tuneprep submit --api-key-file": "file",
            "tuneprep submit --branch": "list:flux1,sd15,sdxl1,fast",
            "tuneprep tunes list --api-key-file": "file", "tuneprep tunes show --api-key-file": "file",
            "tuneprep serve-mock --data": "directory", "tuneprep serve-mock --api-key-file": "file",
            "tuneprep make-samples <folder>": "directory",
        ]
        for (key, kind) in expected { #expect(kinds[key] == kind, "\(key): \(kinds[key] ?? "no completion")") }
    }

    @Test("bash completion offers files after `prepare` and the branch names after --branch")
    func bashCompletes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/bash") else {
            print("skipped: no /bin/bash")
            return
        }
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("photos"), withIntermediateDirectories: true)
        try Data().write(to: folder.appendingPathComponent("a.jpg"))
        let script = try TuneprepBinary.run(["--generate-completion-script", "bash"]).stdout
        try script.write(to: folder.appendingPathComponent("completion.bash"), atomically: true, encoding: .utf8)
        // Calls the completion function as bash does on TAB, and prints what it offers.
        let driver = """
            source ./completion.bash
            fn=$(complete -p tuneprep | sed -E 's/.*-F ([^ ]+).*/\\1/')
            try() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                COMPREPLY=(); "$fn" tuneprep "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
            try tuneprep prepare ""
            try tuneprep prepare photos --out ""
            try tuneprep submit --branch ""
            """
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-c", driver]
        bash.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = TuneprepBinary.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        bash.environment = environment
        let out = Pipe()
        bash.standardOutput = out
        bash.standardError = FileHandle.nullDevice
        try bash.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bash.waitUntilExit()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Set($0.split(separator: " ").map(String.init)) }
        try #require(lines.count >= 3, "\(text)")
        #expect(lines[0].isSuperset(of: ["a.jpg", "photos"]), "prepare <TAB>: \(lines[0])")
        #expect(lines[1].contains("photos") && !lines[1].contains("a.jpg"), "--out <TAB> offers folders: \(lines[1])")
        #expect(lines[2] == ["flux1", "sd15", "sdxl1", "fast"], "--branch <TAB>: \(lines[2])")
    }
}
