import Foundation

/// A built-in pack: it fixes the base model and the prompts, and supports some class names.
struct Pack: Sendable {
    var id: Int
    var slug: String
    var title: String
    var baseTuneID: Int
    var modelType: String
    var branch: String
    var classNames: [String]
    /// `{{name}}` is the class name, `{{token}}` the token; other `{{key}}`s come from `characteristics`.
    var promptTemplates: [String]

    /// Pack 260 is the one the service's own examples use (corporate headshots for man and woman).
    /// It takes `cat` too only because those published examples send `name=cat` to it.
    static let builtIn: [Pack] = [
        Pack(
            id: 260, slug: "corporate-headshots", title: "Corporate Headshots",
            baseTuneID: 1_504_944, modelType: "lora", branch: "flux1", classNames: ["man", "woman", "cat"],
            promptTemplates: [
                "{{token}} {{name}}, corporate headshot, {{eye_color}}, grey studio background",
                "{{token}} {{name}}, business portrait in a bright office, {{eye_color}}",
            ]
        ),
        Pack(
            id: 261, slug: "pet-portraits", title: "Pet Portraits",
            baseTuneID: 1_504_944, modelType: "lora", branch: "flux1", classNames: ["cat", "dog"],
            promptTemplates: ["{{token}} {{name}} as a renaissance oil painting", "{{token}} {{name}} in a superhero cape"]
        ),
        Pack(
            id: 262, slug: "family-album", title: "Family Album",
            baseTuneID: 1_504_944, modelType: "lora", branch: "flux1",
            classNames: ["boy", "girl", "baby", "couple"],
            promptTemplates: ["{{token}} {{name}} at the beach, golden hour"]
        ),
    ]

    static func find(_ id: Int) -> Pack? { builtIn.first { $0.id == id } }

    func json(createdAt: Date) -> JSONValue {
        // The service lists the supported classes as the keys of `costs`.
        .object([
            ("id", .int(id)),
            ("slug", .string(slug)),
            ("title", .string(title)),
            ("base_tune_id", .int(baseTuneID)),
            ("model_type", .string(modelType)),
            ("branch", .string(branch)),
            ("supported_classes", .array(classNames.map(JSONValue.string))),
            ("costs", .object(classNames.map { ($0, .object([("cost", .int(0)), ("num_images", .int(8))])) })),
            ("public_at", Timestamps.json(createdAt)),
            ("created_at", Timestamps.json(createdAt)),
            ("updated_at", Timestamps.json(createdAt)),
        ])
    }
}
