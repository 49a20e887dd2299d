import Foundation

/// The person checks: one face, no other people, big enough, inside the frame, its framing, and
/// (over the set) the same person throughout.
enum PersonChecks {
    /// What one photo gave: its report, its findings, and a small crop of the main face for the
    /// identity descriptor, which the set-level step computes once every photo has been read.
    struct PhotoResult: Sendable {
        var report: PersonReport
        var findings: [Finding]
        var faceCrop: FaceCrop?
    }

    /// `keepFace`: keep a crop of the main face for the identity check (when it will run).
    static func inspect(
        _ image: PixelBuffer, options: PersonCheckOptions, detector: FaceDetector, keepFace: Bool
    ) -> PhotoResult {
        let found: [DetectedFace]
        do {
            found = try detector.detect(image, options: options)
        } catch {
            return PhotoResult(
                report: PersonReport(faces: [], framing: nil),
                findings: [Finding(.personCheckFailed, .warning, "face detection failed: \(error)")], faceCrop: nil)
        }
        let (mainScore, otherScore) = detector.cnn != nil
            ? (options.faceScore, options.otherFaceScore) : (options.minConfidence, options.otherFaceMinConfidence)
        let detected = found.map(\.face)
        // The subject is the face the detector is surest of (the largest can be a weak answer on a
        // texture); other people count from their own score.
        guard let mainIndex = found.indices.filter({ found[$0].face.confidence >= mainScore })
            .max(by: { found[$0].face.confidence < found[$1].face.confidence }) else {
            let smallest = detector.smallestDetectable(width: image.width, height: image.height, options: options)
            return PhotoResult(
                report: PersonReport(faces: [], framing: nil),
                findings: [Finding(.noFace, .error,
                    "no face found (faces under about \(smallest) px tall in this \(image.width)x\(image.height) output are not seen)")],
                faceCrop: nil)
        }
        let main = found[mainIndex].face
        let otherFaceMinConfidence = otherScore
        // A second box on the main face (another of the detector's filters answering for the same
        // face) is not another person: boxes whose centre lies inside the main face are dropped.
        let others = detected.filter {
            $0 != main && $0.confidence >= otherFaceMinConfidence && !main.contains(centreOf: $0)
        }.sorted { $0.height > $1.height }
        var findings: [Finding] = []

        let people = others.filter { Double($0.height) >= options.otherPersonFraction * Double(main.height) }
        if !people.isEmpty {
            let largest = Double(people[0].height) / Double(main.height)
            findings.append(Finding(.severalPeople, .error,
                "\(people.count + 1) people: \(people.count == 1 ? "another face" : "\(people.count) other faces") "
                + "beside the main one (the largest \(percent(largest)) of its size, at \(people[0].x),\(people[0].y))"))
        }
        let background = others.count - people.count
        if background > 0 {
            findings.append(Finding(.backgroundFaces, .warning,
                "\(background) small face\(background == 1 ? "" : "s") in the background (under \(percent(options.otherPersonFraction)) of the main face's size)"))
        }
        if main.height < options.minFaceHeight {
            findings.append(Finding(.faceTooSmall, .warning,
                "the face is \(main.height) px tall, under \(options.minFaceHeight) px"))
        }
        let cut = main.cutEdges(imageWidth: image.width, imageHeight: image.height, tolerance: options.cutOffTolerance)
        if !cut.isEmpty {
            findings.append(Finding(.faceCutOff, .warning,
                "the face is cut off by the frame's \(cut.joined(separator: " and ")) edge\(cut.count > 1 ? "s" : "")"))
        }
        if let turn = found[mainIndex].turn, turn >= options.maxTurn {
            findings.append(Finding(.faceTurned, .warning,
                "the head is turned so far that one eye is hidden (turn \(String(format: "%.2f", turn)), at least \(String(format: "%.2f", options.maxTurn))): a profile view trains poorly"))
        }

        var framing = framing(of: main, in: image, options: options)
        if framing == .halfBody, let pose = detector.pose, roomBelow(main, in: image) >= bodyCheckRoomBelow {
            do {
                if Self.showsLegs(try pose.legs(in: image), below: main) { framing = .fullBody }
            } catch {
                findings.append(Finding(.personCheckFailed, .warning,
                    "the body pose network failed, so the framing comes from the face alone: \(error)"))
            }
        }
        return PhotoResult(
            report: PersonReport(faces: [main] + others, framing: framing),
            findings: findings, faceCrop: keepFace ? FaceCrop(of: main, in: image, landmarks: found[mainIndex].landmarks) : nil)
    }

    /// The room below the face, in face heights.
    static func roomBelow(_ face: Face, in image: PixelBuffer) -> Double {
        Double(image.height - (face.y + face.height)) / Double(max(1, face.height))
    }

    /// The face alone cannot tell a whole body from a knees-up shot when the room below it is
    /// between these and `fullBodyRoomBelow` face heights: a kicking player had 4.69 below, a
    /// knees-up shot 4.73. Then the pose network looks for the legs. Waist-up shots have about 2.
    static let bodyCheckRoomBelow = 2.0

    /// An ankle at least this sure, below the face, makes a whole body. Measured through OpenCV
    /// 4.6 on the labelled crops (`benchmarks/person_accuracy`): whole bodies, a kick included,
    /// 0.33-0.63; half-body crops (waist, thighs, knees up), close-ups and three-quarter portraits
    /// at most 0.05.
    static let ankleScore = 0.2

    static func showsLegs(_ legs: PoseModel.Legs, below face: Face) -> Bool {
        legs.ankle >= ankleScore && legs.ankleY > Double(face.y + face.height)
    }

    /// Close-up, half-body or full-body, from the face's height against the frame's and the room
    /// below it, in face heights. A standing person is about eight face heights tall, so a frame
    /// with room for five below the face holds a whole body whatever the frame's orientation (a
    /// tight full-body crop has a face of 9-12% of its height). A small face with room for three
    /// is a long shot. A small face at the bottom of the frame is someone far behind something.
    /// A close-up is a large face with room for the shoulders and chest only: a waist-up shot has
    /// two to three face heights below the chin.
    /// When this rule says half-body with room for the legs, `inspect` asks the pose network.
    static func framing(of face: Face, in image: PixelBuffer, options: PersonCheckOptions) -> Framing {
        let share = Double(face.height) / Double(image.height)
        let below = roomBelow(face, in: image)
        if below >= options.fullBodyRoomBelow { return .fullBody }
        if share >= options.closeUpFraction && below < options.closeUpRoomBelow { return .closeUp }
        if share < options.fullBodyFraction && below >= 3 { return .fullBody }
        return .halfBody
    }

    private static func percent(_ share: Double) -> String { String(format: "%.0f%%", share * 100) }

    // MARK: The set

    /// The same person throughout: the consensus face is the medoid of the descriptors (the one
    /// with the smallest median distance to the others, so a minority of strangers cannot move
    /// it); a face farther than the threshold from it is flagged, naming the photo it differs
    /// from most. Needs three faces: with two, there is no majority to side with.
    static func identityFindings(
        descriptors: [(index: Int, path: String, descriptor: [Float])], options: PersonCheckOptions
    ) -> (consensus: Int?, distances: [Int: Double], findings: [Int: Finding]) {
        guard descriptors.count >= 3 else { return (nil, [:], [:]) }
        let n = descriptors.count
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = IdentityModel.distance(descriptors[i].descriptor, descriptors[j].descriptor)
                matrix[i][j] = d
                matrix[j][i] = d
            }
        }
        func median(_ row: [Double]) -> Double {
            let sorted = row.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        var medoid = 0
        var best = Double.infinity
        for i in 0..<n {
            let others = (0..<n).filter { $0 != i }.map { matrix[i][$0] }
            let m = median(others)
            if m < best - 1e-12 { best = m; medoid = i }
        }
        var distances: [Int: Double] = [:]
        var findings: [Int: Finding] = [:]
        for i in 0..<n {
            let d = matrix[i][medoid]
            distances[descriptors[i].index] = (d * 1000).rounded() / 1000
            guard i != medoid, d > options.maxIdentityDistance else { continue }
            let farthest = (0..<n).filter { $0 != i }.max { matrix[i][$0] < matrix[i][$1] }!
            findings[descriptors[i].index] = Finding(.differentPerson, .warning,
                "looks like a different person: \(String(format: "%.2f", d)) from the set's consensus face "
                + "(\(descriptors[medoid].path)), over \(String(format: "%.2f", options.maxIdentityDistance)); "
                + "differs most from \(descriptors[farthest].path) (\(String(format: "%.2f", matrix[i][farthest])))",
                related: descriptors[farthest].path)
        }
        return (descriptors[medoid].index, distances, findings)
    }
}
