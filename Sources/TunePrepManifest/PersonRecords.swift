/// A face found in a prepared photo.
public struct Face: Codable, Sendable, Equatable {
    /// The face's box in the output image's pixels (the staged JPEG, upright). It may reach past
    /// the image's edges when the face is cut off by the frame.
    public var x: Int
    /// Top edge of the box, in output pixels (may be negative when the face is cut off).
    public var y: Int
    /// Width of the box in output pixels.
    public var width: Int
    /// Height of the box in output pixels.
    public var height: Int
    /// The detector's score: from the CNN, 0-1 (0.5 is the default threshold); from the HOG
    /// fallback, 0 is dlib's own threshold and above 1 is a clear face.
    public var confidence: Double

    /// Makes a face from its box (output pixels) and detector score.
    public init(x: Int, y: Int, width: Int, height: Int, confidence: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.confidence = confidence
    }
}

/// How much of the person a photo shows, judged from the main face's size and place in the frame.
public enum Framing: String, Codable, Sendable, CaseIterable {
    /// Head and shoulders: the face fills a large part of the frame.
    case closeUp = "close-up"
    /// Waist or chest up.
    case halfBody = "half-body"
    /// The whole body, or a long shot: a small face with room for a body below it.
    case fullBody = "full-body"
}

/// What the person checks saw in one photo. Recorded in the manifest (never the identity
/// descriptor itself: that is biometric data, kept in memory for the run only).
public struct PersonReport: Codable, Sendable, Equatable {
    /// Every face found: the main face (the detector's surest) first, then the others, largest first.
    public var faces: [Face]
    /// From the main face; nil when there is none.
    public var framing: Framing?
    /// Distance of the main face's identity descriptor to the set's consensus face (0 = the
    /// consensus photo itself); nil when the identity check did not run for this photo.
    public var identityDistance: Double?

    /// Makes a report from the faces found, the framing and the identity distance.
    public init(faces: [Face], framing: Framing?, identityDistance: Double? = nil) {
        self.faces = faces
        self.framing = framing
        self.identityDistance = identityDistance
    }
}

/// The thresholds of the person checks, recorded in the manifest. The defaults were measured on
/// the photos the README names (see "Person checks").
public struct PersonCheckOptions: Codable, Sendable, Equatable {
    /// Run the person checks at all (false turns them all off together).
    public var enabled: Bool = true
    /// The CNN detector (CenterFace) reads a copy of the output scaled to fit this many pixels on
    /// its long side (by three quarters of it on the short side). It finds faces from about 10 px
    /// tall in that copy: at 640, a face 3% of a phone frame's height. Larger finds smaller faces,
    /// at a cost that grows with the square.
    public var cnnInputSide: Int = 640
    /// When the CNN finds no face, look again at 1.8 times the scale, in four tiles (faces down to
    /// about 2% of a phone frame's height; four times the first pass's cost, on those photos only).
    public var secondLook: Bool = true
    /// CNN score (0-1) a face needs to count as the photo's subject.
    public var faceScore: Double = 0.5
    /// CNN score another face needs to count as a person in the frame: lower than the subject's,
    /// since a second person is often turned away or cut by the edge (0.49-0.56 in the measured
    /// group photos), and above every false face measured on photos without people (at most 0.34).
    public var otherFaceScore: Double = 0.4
    /// `face-turned` (warning) when the main face's turn (0 frontal, 1 when the nose covers an
    /// eye, from the CNN's landmarks) is at least this: profile views train poorly.
    public var maxTurn: Double = 0.8
    /// The HOG fallback (when the CNN's model is absent) looks for faces on a copy of the output
    /// whose long side is at most this. It finds faces from about 80 px tall in that copy, so at
    /// 1024 the smallest face found in a 2048 px output is about 160 px tall.
    public var detectionSide: Int = 1024
    /// HOG score a face needs to count as the photo's subject.
    public var minConfidence: Double = 0.0
    /// HOG score another face needs to count as a person in the frame (higher than
    /// `minConfidence`: the detector's weakest answers are often patterns, not faces).
    public var otherFaceMinConfidence: Double = 0.3
    /// `several-people` (error) when another face is at least this fraction of the main face's
    /// height; a smaller one is a `background-faces` warning (a crowd far behind).
    public var otherPersonFraction: Double = 0.33
    /// `face-too-small` (warning) when the main face is under this many pixels tall in the output.
    public var minFaceHeight: Int = 100
    /// `face-cut-off` (warning) when the main face's box crosses the frame's edge by more than
    /// this fraction of its size.
    public var cutOffTolerance: Double = 0.1
    /// Framing: `close-up` when the main face is at least this fraction of the image's height.
    public var closeUpFraction: Double = 0.18
    /// Framing: `full-body` when the main face is under this fraction of the image's height;
    /// between the two, `half-body`.
    public var fullBodyFraction: Double = 0.09
    /// Framing: `close-up` needs less room than this below the main face, in face heights (the
    /// shoulders and chest). Measured on the labelled crops: head-and-shoulders shots 1.23 at
    /// most, chest-up and waist-up shots 1.38 and more.
    public var closeUpRoomBelow: Double = 1.3
    /// Framing: `full-body` when there is room for at least this many face heights below the
    /// main face (a standing person is about eight), whatever the face's share.
    public var fullBodyRoomBelow: Double = 5.0
    /// `different-person` (warning) when a face's descriptor is farther than this from the set's
    /// consensus. 0.6 is the distance dlib's model was trained to separate people at.
    public var maxIdentityDistance: Double = 0.6

    /// The defaults: every person check on, with the measured thresholds.
    public init() {}

    /// A key missing from a manifest (one written before the option existed) takes its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PersonCheckOptions()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        cnnInputSide = try c.decodeIfPresent(Int.self, forKey: .cnnInputSide) ?? d.cnnInputSide
        secondLook = try c.decodeIfPresent(Bool.self, forKey: .secondLook) ?? d.secondLook
        faceScore = try c.decodeIfPresent(Double.self, forKey: .faceScore) ?? d.faceScore
        otherFaceScore = try c.decodeIfPresent(Double.self, forKey: .otherFaceScore) ?? d.otherFaceScore
        maxTurn = try c.decodeIfPresent(Double.self, forKey: .maxTurn) ?? d.maxTurn
        detectionSide = try c.decodeIfPresent(Int.self, forKey: .detectionSide) ?? d.detectionSide
        minConfidence = try c.decodeIfPresent(Double.self, forKey: .minConfidence) ?? d.minConfidence
        otherFaceMinConfidence = try c.decodeIfPresent(Double.self, forKey: .otherFaceMinConfidence) ?? d.otherFaceMinConfidence
        otherPersonFraction = try c.decodeIfPresent(Double.self, forKey: .otherPersonFraction) ?? d.otherPersonFraction
        minFaceHeight = try c.decodeIfPresent(Int.self, forKey: .minFaceHeight) ?? d.minFaceHeight
        cutOffTolerance = try c.decodeIfPresent(Double.self, forKey: .cutOffTolerance) ?? d.cutOffTolerance
        closeUpFraction = try c.decodeIfPresent(Double.self, forKey: .closeUpFraction) ?? d.closeUpFraction
        fullBodyFraction = try c.decodeIfPresent(Double.self, forKey: .fullBodyFraction) ?? d.fullBodyFraction
        fullBodyRoomBelow = try c.decodeIfPresent(Double.self, forKey: .fullBodyRoomBelow) ?? d.fullBodyRoomBelow
        closeUpRoomBelow = try c.decodeIfPresent(Double.self, forKey: .closeUpRoomBelow) ?? d.closeUpRoomBelow
        maxIdentityDistance = try c.decodeIfPresent(Double.self, forKey: .maxIdentityDistance) ?? d.maxIdentityDistance
    }

    /// The checks switched off.
    public static let off: PersonCheckOptions = {
        var options = PersonCheckOptions()
        options.enabled = false
        return options
    }()
}

/// The person checks over a whole set, recorded in the manifest.
public struct PersonChecksSummary: Codable, Sendable, Equatable {
    /// The face detector that ran: `centerface` (the CNN) or `hog` (dlib's, the fallback).
    public var detector: String?
    /// Why the CNN did not run (its model is absent or unreadable); nil when it ran.
    public var detectorFallback: String?
    /// The body pose network that helped tell full-body framing (`mobilenet_thin`); nil when
    /// framing came from the face alone, and then `poseMissing` says why.
    public var pose: String?
    /// Why the pose network did not run (its file is absent or unreadable); nil when it ran.
    public var poseMissing: String?
    /// Whether the identity check ran; when it did not, `identitySkipped` says why.
    public var identityChecked: Bool
    /// Why the identity check did not run (e.g. no models); nil when it ran.
    public var identitySkipped: String?
    /// The photo whose face is the set's consensus (the medoid of the descriptors).
    public var consensus: String?
    /// Photos staged, by framing.
    public var closeUps: Int
    /// Number of staged photos framed half-body.
    public var halfBody: Int
    /// Number of staged photos framed full-body.
    public var fullBody: Int

    /// Makes a summary from the identity outcome and the framing counts.
    public init(
        identityChecked: Bool, identitySkipped: String?, consensus: String?, closeUps: Int, halfBody: Int, fullBody: Int,
        detector: String? = nil, detectorFallback: String? = nil, pose: String? = nil, poseMissing: String? = nil
    ) {
        self.detector = detector
        self.detectorFallback = detectorFallback
        self.pose = pose
        self.poseMissing = poseMissing
        self.identityChecked = identityChecked
        self.identitySkipped = identitySkipped
        self.consensus = consensus
        self.closeUps = closeUps
        self.halfBody = halfBody
        self.fullBody = fullBody
    }
}
