import Testing
@testable import Cutter

struct JSONTextTests {
    private func rendered(_ output: String) -> String {
        var body: [UInt8] = []
        JSONText.appendOutputValue(Array(output.utf8), to: &body)
        return String(decoding: body, as: UTF8.self)
    }

    @Test func outputsThatAreJSONStayJSON() {
        #expect(rendered("0.7") == "0.7")
        #expect(rendered("-1e5") == "-1e5")
        #expect(rendered("[1,2]") == "[1,2]")
        #expect(rendered(#"{"a":1}"#) == #"{"a":1}"#)
        #expect(rendered(#""cat""#) == #""cat""#)
        #expect(rendered("true") == "true")
    }

    @Test func otherOutputsBecomeStrings() {
        #expect(rendered("cat") == #""cat""#)
        #expect(rendered("None") == #""None""#)
        #expect(rendered("01") == #""01""#)
        #expect(rendered("1.") == #""1.""#)
        #expect(rendered("nan") == #""nan""#)
        #expect(rendered("0x10") == #""0x10""#)
        #expect(rendered("[1,") == #""[1,""#)
        #expect(rendered(" 1") == #"" 1""#)
        #expect(rendered("truth") == #""truth""#)
        #expect(rendered("") == #""""#)
        #expect(rendered("a\"b\n") == #""a\"b\n""#)
    }

    @Test func sharesAreRoundedToFourDecimals() {
        #expect(JSONText.rounded(1) == "1.0")
        #expect(JSONText.rounded(0.123456) == "0.1235")
        #expect(JSONText.rounded(0.5) == "0.5")
    }
}

struct JSONNumberTests {
    @Test func theGrammarIsRFC8259s() {
        for number in ["0", "-0", "1", "1.0", "1e0", "1E+2", "-12.5e-3", "123456789012345678901234567890"] {
            #expect(JSONNumber.isNumber(Array(number.utf8)), "\(number)")
        }
        for text in ["", "-", "01", "1.", ".5", "+1", "1e", "0x10", "16 ", " 16", "inf", "NaN", "1_000", "١"] {
            #expect(!JSONNumber.isNumber(Array(text.utf8)), "\(text)")
        }
    }

    @Test func valuesOfEqualNumbersAreEqual() {
        #expect(JSONNumber.value(of: Array("1".utf8)) == JSONNumber.value(of: Array("1.0".utf8)))
        #expect(JSONNumber.value(of: Array("1e0".utf8)) == 1)
        #expect(JSONNumber.value(of: Array("0x10".utf8)) == nil)
        #expect(JSONNumber.value(of: Array("1e999".utf8)) == nil, "out of a Double's range")
    }
}
