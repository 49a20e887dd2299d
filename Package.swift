// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "TunePrep",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TunePrep", targets: ["TunePrep"]),
        .library(name: "AstriaClient", targets: ["AstriaClient"]),
        .library(name: "AstriaMockServer", targets: ["AstriaMockServer"]),
        .executable(name: "tuneprep", targets: ["tuneprep"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        // FileDescriptor and Errno: the system calls TunePrep and AstriaClient make, wrapped once
        // (already in the graph through swift-nio).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // `swift package generate-documentation`: the DocC catalogs beside TunePrep and AstriaClient.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config; apt names the Debian packages that provide them.
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CHEIF", pkgConfig: "libheif", providers: [.apt(["libheif-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebpdemux", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CLCMS", pkgConfig: "lcms2", providers: [.apt(["liblcms2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // C++ only: gives CTunePrepFaces dlib's headers and libraries (it links BLAS and LAPACK).
        .systemLibrary(name: "CDlib", pkgConfig: "dlib-1", providers: [.apt(["libdlib-dev", "libopenblas-dev"])]),

        // C shims: every setjmp/longjmp and every variadic call stays in C.
        .target(name: "CTunePrepImaging", dependencies: ["CJPEG", "CPNG", "CHEIF", "CWebP", "CLCMS"]),
        .target(name: "CTunePrepCurl", dependencies: ["CCurl"]),
        // SHA-256 from the system's libcrypto (OpenSSL), instead of building BoringSSL
        // (swift-crypto, about 360 C files, most of a cold build) for one hash.
        .target(name: "CTunePrepDigest", dependencies: ["CLibcrypto"]),
        .target(name: "TunePrepDigest", dependencies: ["CTunePrepDigest"]),
        // Face detection (OpenCV's dnn, dlib's HOG as the fallback) and identity (dlib) in C++ behind
        // a plain C header; no exception crosses it.
        // dlib's pkg-config names BLAS and LAPACK as absolute paths, which SwiftPM drops; its
        // headers call them directly, so they are linked by name.
        .target(
            name: "CTunePrepFaces", dependencies: ["CDlib"],
            // OpenCV's dnn module (libopencv-dnn-dev) runs the CenterFace detector. Not through
            // opencv4.pc: it names all 60 OpenCV modules, and linking them (VTK, Qt, MPI) made
            // `tuneprep --help` load 385 libraries and start in 0.56 s. `system/opencv4` is a link
            // to Debian's /usr/include/opencv4, since a header search path must be in the package.
            cxxSettings: [.headerSearchPath("system/opencv4")],
            linkerSettings: [
                .linkedLibrary("blas"), .linkedLibrary("lapack"), .linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_core"),
            ]
        ),
        // The resampler's inner loops in C, so they vectorise in every build (on x86-64 an AVX2
        // path, picked at run time, beside the SSE2 baseline).
        .target(name: "CTunePrepResample"),

        // A staged set's manifest: its model (options, findings, scores, person records) and its
        // reading and checking. Pure Swift, shared by TunePrep (which writes it) and AstriaClient
        // (which reads it to upload), so an upload-only consumer builds no imaging code.
        .target(
            name: "TunePrepManifest",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
        ),
        // Decode, check, orient, resize, encode and stage photos.
        .target(
            name: "TunePrep",
            dependencies: [
                "TunePrepManifest", "CTunePrepImaging", "CTunePrepResample", "CTunePrepFaces", "TunePrepDigest",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Test photos and the sample set (`tuneprep make-samples`, the tests): not the product's API.
        .target(name: "TunePrepSamples", dependencies: ["TunePrep", "CTunePrepImaging"]),
        // The Astria API client: libcurl-backed, streams multipart bodies from disk. It reads a
        // staged set's manifest through TunePrepManifest, so an upload-only consumer builds no
        // imaging code.
        .target(
            name: "AstriaClient",
            dependencies: [
                "CTunePrepCurl", "TunePrepDigest", "TunePrepManifest",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // A local Astria-compatible server for tests, the quick start and users' integration tests.
        .target(
            name: "AstriaMockServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
                "TunePrepDigest",
            ]
        ),
        .executableTarget(
            name: "tuneprep",
            dependencies: [
                "TunePrep", "TunePrepSamples", "AstriaClient", "AstriaMockServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // `swift run -c release tuneprep-upload-bench`: AstriaClient's upload throughput beside curl's.
        .executableTarget(name: "tuneprep-upload-bench", dependencies: ["AstriaClient"]),

        .testTarget(name: "TunePrepTests", dependencies: ["TunePrep", "TunePrepSamples", "TunePrepDigest"]),
        // The manifest's reader on its own, and what an upload-only consumer builds (dump-package).
        .testTarget(name: "TunePrepManifestTests", dependencies: ["TunePrepManifest"]),
        .testTarget(name: "AstriaMockServerTests", dependencies: [
            "AstriaMockServer", "TunePrepTestSupport",
            .product(name: "MultipartKit", package: "multipart-kit"),
        ]),
        .testTarget(name: "AstriaClientTests", dependencies: [
            "AstriaClient", "AstriaMockServer", "TunePrep", "TunePrepSamples", "TunePrepDigest", "TunePrepTestSupport",
            .product(name: "MultipartKit", package: "multipart-kit"),
        ]),
        // What the test targets share: fixtures, a mock server per test, and a scripted, recording
        // HTTP peer (what the client sends where, waits on a fake clock). Not part of any product.
        .target(
            name: "TunePrepTestSupport",
            dependencies: [
                "AstriaMockServer", "TunePrep", "TunePrepDigest", .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/TestSupport"
        ),
        // The CLI as a user runs it (the built binary), and its text renderers (@testable import tuneprep).
        .testTarget(name: "tuneprepTests", dependencies: [
            "TunePrep", "TunePrepSamples", "tuneprep", "AstriaClient", "AstriaMockServer", "TunePrepTestSupport",
        ]),
    ],
    cxxLanguageStandard: .cxx17
)
