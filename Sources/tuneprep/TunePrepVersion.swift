import TunePrep

enum TunePrepVersion {
    static let string = TunePrepInfo.version
}
