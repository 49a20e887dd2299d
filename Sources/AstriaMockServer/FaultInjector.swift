import Foundation

/// Picks the fault for each request in scope: the script first, then the random rates.
actor FaultInjector {
    private let plan: FaultPlan
    private var position = 0
    private var random: SplitMix64

    init(plan: FaultPlan) {
        self.plan = plan
        self.random = SplitMix64(seed: plan.seed ?? UInt64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds))
    }

    /// The fault for the next request in scope; `nil` when it is handled normally.
    func next() -> FaultPlan.Fault? {
        if position < plan.script.count {
            defer { position += 1 }
            let fault = plan.script[position]
            return fault == .ok ? nil : fault
        }
        guard !plan.rates.isEmpty else { return nil }
        var roll = Double(random.next() >> 11) / Double(1 << 53)
        for rate in plan.rates {
            if roll < rate.probability { return rate.fault == .ok ? nil : rate.fault }
            roll -= rate.probability
        }
        return nil
    }
}

/// A small seedable generator, so a `--fault-seed` run can be repeated exactly.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
