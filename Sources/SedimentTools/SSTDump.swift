// SSTDump: placeholder entry until the table reader lands (issue 2).
/// sst_dump's logic.
package enum SSTDump {
    /// Runs sst_dump with `arguments` (without the program name); returns the exit status.
    package static func main(_ arguments: [String]) -> Int32 {
        printError("sst_dump: not yet implemented")
        return 1
    }
}
