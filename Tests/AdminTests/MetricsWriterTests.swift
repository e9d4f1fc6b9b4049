// The Prometheus text format as MetricsWriter writes it: label values escaped by the
// format's three rules, samples one to a line.
import Testing
@testable import Admin

@Test func labelValuesEscapeBackslashQuoteAndNewlineOnly() {
    var out = MetricsWriter()
    out.sample("m", [("a", #"C:\x "q"#), ("b", "two\nlines"), ("c", "plain é")], UInt64(7))
    out.sample("n", [], 0.5)
    #expect(out.text == #"m{a="C:\\x \"q",b="two\nlines",c="plain é"} 7"# + "\n" + "n 0.5\n")
}
