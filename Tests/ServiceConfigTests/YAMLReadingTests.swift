// YAML as kubectl reads it: merge keys resolve (written keys win, earlier merged mappings
// over later ones), a key written twice is reported where it is written again, and a
// misspelt kind is skipped with the kind it probably meant.
import Testing
@testable import ServiceConfig

private func load(_ text: String) -> (objects: ConfigObjects, errors: [String]) {
    let (objects, errors) = ConfigLoader.load(text: text, file: "m.yaml")
    return (objects, errors.map(\.description))
}

@Suite struct YAMLReadingTests {
    @Test func aMergeKeyCopiesTheAnchoredMappingAndWrittenKeysWin() throws {
        let (objects, errors) = load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata: &meta {name: web, namespace: shop, labels: {app: web}}
              spec: &spec
                selector: {app: web}
                ports: [{name: http, port: 80, targetPort: 8080}]
            - apiVersion: v1
              kind: Service
              metadata:
                <<: *meta
                name: admin
              spec:
                <<: *spec
                ports: [{name: admin, port: 9000}]
            """)
        #expect(errors == [])
        let admin = try #require(objects.services.last)
        #expect(admin.key == ObjectKey(namespace: "shop", name: "admin"))
        #expect(admin.selector == ["app": "web"])
        #expect(admin.ports.map(\.name) == ["admin"])
    }

    @Test func aListOfMergedMappingsPrefersTheEarlierOne() throws {
        let (objects, errors) = load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: a, labels: &first {app: web, tier: front}}
            - apiVersion: v1
              kind: Pod
              metadata: {name: b, labels: &second {app: api, zone: one}}
            - apiVersion: v1
              kind: Pod
              metadata:
                name: c
                labels:
                  <<: [*first, *second]
                  tier: back
            """)
        #expect(errors == [])
        #expect(objects.pods.last?.labels == ["app": "web", "tier": "back", "zone": "one"])
    }

    @Test func aMergeKeyOnAScalarIsAnErrorAtTheValue() {
        let (_, errors) = load("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  <<: plain\n")
        #expect(errors == ["m.yaml:5:7: YAML syntax error: map merge requires map or sequence of maps as the value"])
    }

    @Test func aMergeListWithAScalarIsAnErrorAtTheScalar() {
        let (_, errors) = load("a: &a {x: 1}\nb:\n  <<: [*a, 3]\n")
        #expect(errors == ["m.yaml:3:12: YAML syntax error: map merge requires map or sequence of maps as the value"])
    }

    @Test func aQuotedMergeKeyIsAnOrdinaryKey() {
        let (_, errors) = load("apiVersion: v1\nkind: Service\nmetadata: {name: web, \"<<\": {}}\nspec: {ports: [{port: 80}]}\n")
        #expect(errors == ["m.yaml:3:23: Service \"default/web\" is invalid: metadata.<<: Unknown field"])
    }

    @Test func aKeyTaggedMergeIsAMergeKey() {
        let (objects, errors) = load("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: a
              labels: {!!merge "<<": &l {app: web}}
            """)
        #expect(errors == [])
        #expect(objects.pods.first?.labels == ["app": "web"])
    }

    @Test func aDuplicateKeyIsReportedWhereItIsWrittenAgain() {
        let (_, errors) = load("""
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ports: [{port: 80}]
              selector: {app: web}
              ports: [{port: 81}]
            """)
        #expect(errors == ["m.yaml:7:3: YAML syntax error: duplicate key \"ports\" (first at line 5, column 3)"])
    }

    @Test func severalDuplicateKeysAreNamedAtTheFirstRepeated() {
        let (_, errors) = load("a: 1\nb: 2\nb: 3\na: 4\n")
        #expect(errors == ["m.yaml:3:1: YAML syntax error: duplicate key \"b\" (first at line 2, column 1), and \"a\""])
    }

    @Test func aMergedKeyIsNotADuplicateOfAWrittenOne() {
        let (_, errors) = load("base: &base {a: 1, b: 2}\nitem:\n  <<: *base\n  a: 3\n")
        #expect(errors.allSatisfy { !$0.contains("duplicate") })
    }
}

@Suite struct KindSuggestionTests {
    @Test(arguments: [
        ("Servce", "Service"), ("service", "Service"), ("Serivce", "Service"), ("Sevrice", "Service"), ("Services", "Service"),
        ("Endpoint", "Endpoints"), ("EndpointSlices", "EndpointSlice"), ("Pods", "Pod"), ("pod", "Pod"),
        ("NetworkPolicies", nil), ("NetworkPolicyy", "NetworkPolicy"), ("Ingres", "Ingress"), ("IngresClass", "IngressClass"),
        ("Secrte", "Secret"), ("Namespaces", "Namespace"),
        ("Job", nil), ("Node", nil), ("Deployment", nil), ("ConfigMap", nil), ("Lease", nil), ("Role", nil), ("ServiceAccount", nil),
    ] as [(String, String?)])
    func aKindWithinTwoEditsOfOursIsSuggested(_ kind: String, _ meant: String?) {
        #expect(KindSuggestion.suggestion(for: kind) == meant)
    }

    @Test func editDistanceCountsASwapOfNeighboursAsOne() {
        #expect(KindSuggestion.editDistance("abcd", "abdc") == 1)
        #expect(KindSuggestion.editDistance("kitten", "sitting") == 3)
        #expect(KindSuggestion.editDistance("", "abc") == 3)
        #expect(KindSuggestion.editDistance("ca", "abc") == 3)  // the restricted variant: no edit inside a swap
    }

    @Test func aMisspeltKindIsSkippedWithANoteThatNamesTheKindMeant() {
        let (objects, errors) = ConfigLoader.load(text: "apiVersion: v1\nkind: Servce\nmetadata: {name: web}\n---\nkind: Job\nmetadata: {name: j}\n",
                                                  file: "m.yaml")
        #expect(errors.isEmpty)
        #expect(objects.services.isEmpty)
        #expect(objects.skipped == [
            "m.yaml:1:1: skipped Servce \"web\": unknown kind \"Servce\": did you mean \"Service\"?",
            "m.yaml:5:1: skipped Job \"j\": svcproxy does not serve this kind",
        ])
    }
}
