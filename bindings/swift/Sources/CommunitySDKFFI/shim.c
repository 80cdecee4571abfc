/* Empty: SwiftPM needs a source file in a C target; the symbols come from the XCFramework. */
