import AstriaClient
import ArgumentParser
import Foundation

/// The options of every wait: `tunes wait`, `submit --wait`, `prompts wait`, `prompts create --wait`.
struct WaitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop waiting after this many seconds (exit 11); default: no limit.", valueName: HelpText.seconds))
    var timeout: Real?

    @Option(name: .customLong("overdue-after"), parsing: .unconditional, help: ArgumentHelp("A tune this many minutes past its eta, untrained, is overdue (exit 9).", valueName: "minutes"))
    var overdueAfter: Real = 60

    func validate() throws {
        if let timeout, !(timeout.value > 0 && timeout.value <= AstriaCommandOptions.maxTotalTime) {
            throw ValidationError("--timeout must be more than 0 and at most \(Int(AstriaCommandOptions.maxTotalTime)) seconds")
        }
        guard overdueAfter.value >= 0, overdueAfter.value * 60 <= AstriaCommandOptions.maxTotalTime else {
            throw ValidationError("--overdue-after must be 0 to \(Int(AstriaCommandOptions.maxTotalTime / 60)) minutes")
        }
    }

    /// The library's policy for a tune (`prompts: false`) or a prompt.
    func policy(prompts: Bool) -> WaitPolicy {
        var policy = prompts ? WaitPolicy.prompts : WaitPolicy()
        policy.timeout = timeout.map { AstriaCommandOptions.duration(seconds: $0.value) }
        policy.overdueAfter = AstriaCommandOptions.duration(seconds: overdueAfter.value * 60)
        return policy
    }
}

/// Shows a wait: one live line on a terminal (what is waited for, elapsed time, the eta, the next
/// check), a plain line per poll otherwise, or NDJSON events on stdout with --json.
final class WaitDisplay: @unchecked Sendable {
    enum Mode { case live, lines, json }

    private let mode: Mode
    private let lock = NSLock()
    private let start = Date()
    private var subject = ""
    private var eta: Date?
    private var nextCheck: Date?
    private var drawn = false
    private var timer: DispatchSourceTimer?

    init(json: Bool) {
        mode = json ? .json : (isatty(STDERR_FILENO) == 1 ? .live : .lines)
        if mode == .live {
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [weak self] in self?.lock.withLock { self?.redraw() } }
            timer.resume()
            self.timer = timer
        }
    }

    func tune(_ event: WaitEvent<Tune>) {
        switch event {
        case .polled(let tune), .finished(let tune):
            let finished = if case .finished = event { true } else { false }
            lock.withLock {
                subject = "tune \(tune.id)" + (tune.title.map { " \"\(sanitizedForTerminal($0))\"" } ?? "")
                eta = tune.eta
                if mode == .json {
                    JSONLines.write([
                        "event": finished ? "trained" : "polled", "tune_id": tune.id, "title": tune.title ?? NSNull(),
                        "eta": tune.eta.map(AstriaDate.format) ?? NSNull(), "trained_at": tune.trainedAt.map(AstriaDate.format) ?? NSNull(),
                    ])
                } else if mode == .lines, tune.trainedAt == nil {
                    stderr("\(subject): not trained yet" + (tune.eta.map { ", eta \(AstriaDate.format($0))" } ?? "") + "\n")
                }
                redraw()
            }
        case .sleeping(let until, let reason):
            sleeping(until, reason)
        }
    }

    func prompt(_ event: WaitEvent<Prompt>) {
        switch event {
        case .polled(let prompt), .finished(let prompt):
            let finished = if case .finished = event { true } else { false }
            lock.withLock {
                subject = "prompt \(prompt.id)" + (prompt.tuneId.map { " of tune \($0)" } ?? "")
                eta = nil
                if mode == .json {
                    JSONLines.write([
                        "event": finished ? "prompt_done" : "polled", "prompt_id": prompt.id, "tune_id": prompt.tuneId ?? NSNull(),
                        "images": prompt.images.count,
                    ])
                } else if mode == .lines, prompt.state == .pending {
                    stderr("\(subject): no pictures yet\n")
                }
                redraw()
            }
        case .sleeping(let until, let reason):
            sleeping(until, reason)
        }
    }

    private func sleeping(_ until: Date, _ reason: String) {
        lock.withLock {
            nextCheck = until
            if mode == .json {
                JSONLines.write(["event": "waiting", "until": AstriaDate.format(until), "reason": reason])
            } else if mode == .lines, !reason.hasPrefix("polling every") {
                // The eta, a 429, a failure: worth a line in a log; the steady polling is not.
                stderr("\(subject): waiting \(reason) (\(AstriaDate.format(until)))\n")
            }
            redraw()
        }
    }

    /// The live line; the caller holds the lock.
    private func redraw() {
        guard mode == .live, !subject.isEmpty else { return }
        let now = Date()
        var text = "waiting for \(subject)  \(PrepareProgressText.clock(now.timeIntervalSince(start))) elapsed"
        if let eta {
            let left = eta.timeIntervalSince(now)
            text += left > 0 ? "  eta in \(PrepareProgressText.clock(left))" : "  eta passed \(PrepareProgressText.clock(-left)) ago"
        }
        if let nextCheck, nextCheck > now { text += "  next check in \(PrepareProgressText.clock(nextCheck.timeIntervalSince(now).rounded(.up)))" }
        stderr("\r\u{1B}[2K" + PrepareProgressText.clip(text, to: terminalColumns() - 1))
        drawn = true
    }

    /// Clears the live line, so what follows starts on a clean line.
    func close() {
        timer?.cancel()
        timer = nil
        lock.withLock {
            if drawn { stderr("\r\u{1B}[2K") }
            drawn = false
        }
    }

    private func stderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
