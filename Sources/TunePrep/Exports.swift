// The manifest's model (Manifest, PrepareOptions, Finding, QualityScores, the person records) lives
// in TunePrepManifest, which AstriaClient shares; `import TunePrep` brings it along.
@_exported import TunePrepManifest
