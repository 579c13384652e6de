// DBBench: placeholder entry until the database lands (issue 6).
/// db_bench's logic.
package enum DBBench {
    /// Runs db_bench with `arguments` (without the program name); returns the exit status.
    package static func main(_ arguments: [String]) -> Int32 {
        printError("db_bench: not yet implemented")
        return 1
    }
}
