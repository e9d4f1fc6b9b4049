// The EndpointSlice controller's last-change-trigger-time, read as RFC 3339.
import Testing
@testable import ServiceConfig

@Test func triggerTimesInUTCWithAndWithoutFractions() {
    #expect(TriggerTime.seconds("1970-01-01T00:00:00Z") == 0)
    #expect(TriggerTime.seconds("2026-11-30T21:33:17Z") == 1_796_074_397)
    #expect(TriggerTime.seconds("2026-11-30T21:33:17.250000000Z") == 1_796_074_397.25)
    #expect(TriggerTime.seconds("2026-11-30T21:33:17.5Z") == 1_796_074_397.5)
    #expect(TriggerTime.seconds("2024-02-29T00:00:00Z") == 1_709_164_800)
}

@Test func triggerTimesWithAnOffsetAreTheSameInstant() {
    #expect(TriggerTime.seconds("2026-11-30T22:33:17+01:00") == TriggerTime.seconds("2026-11-30T21:33:17Z"))
    #expect(TriggerTime.seconds("2026-11-30T16:03:17-05:30") == TriggerTime.seconds("2026-11-30T21:33:17Z"))
}

@Test func whatIsNotAnRFC3339DateTimeHasNoTime() {
    for text in ["", "2026-11-30", "2026-11-30 21:33:17Z", "2026-11-30T21:33:17", "2026-13-30T21:33:17Z",
                 "2026-11-30T21:33:17.Z", "2026-11-30T21:33:17Zjunk", "2026-11-30T25:33:17Z", "yesterday",
                 "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-30T21:33:17+24:00", "2026-11-30T21:33:17+01:60"] {
        #expect(TriggerTime.seconds(text) == nil, "\(text)")
    }
}
