// CrashWriter logic (kept out of main.swift so that nothing is main-actor isolated): a test helper process for the kill -9 crash test (Engine/CrashTests.swift).
// Usage: CrashWriter DBPATH SYNC(0|1) ROUND
// Four threads write keys "r<round % 10>-t<thread>-<i>" through the public API (so round r
// overwrites what round r-10 wrote, and the database stays a bounded size over many rounds;
// every value names its round, so an older value is never mistaken for a newer one): puts, batches of
// three, an occasional delete, a flush now and then (thread 0) and a compactRange now and then
// (thread 1). Before each write the thread prints one "intent <key> <value-or-DEL> <batch>" line
// per key, after it one "ack <key> <value-or-DEL>" line per key (`<batch>` is "-" for a single
// write, else an id shared by the batch's keys), each line with one write(2), so the parent
// knows exactly what was acknowledged, and what was in flight, when it killed the process.
import Glibc
import Sediment

/// The crash writer's process body.
enum CrashWriterProcess {
    static func run() {
        let args = CommandLine.arguments
        guard args.count == 4, let round = Int(args[3]) else {
            _ = "usage: CrashWriter DBPATH SYNC ROUND\n".withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        let sync = args[2] == "1"
        var options = Options()
        options.writeBufferSize = 64 << 10
        options.level0FileNumCompactionTrigger = 2
        options.targetFileSizeBase = 64 << 10
        options.maxBytesForLevelBase = 256 << 10
        let db: Database
        do { db = try Database(path: args[1], options: options) } catch {
            let m = "open failed: \(error)\n"
            _ = m.withCString { write(2, $0, strlen($0)) }
            exit(1)
        }

        @Sendable func ack(_ line: String) {
            var l = line + "\n"
            l.withUTF8 { buf in _ = write(1, buf.baseAddress, buf.count) }
        }

        final class Box: @unchecked Sendable {
            let t: Int
            let db: Database
            let sync: Bool
            let round: Int
            init(_ t: Int, _ db: Database, _ sync: Bool, _ round: Int) {
                self.t = t
                self.db = db
                self.sync = sync
                self.round = round
            }
        }
        var threads: [pthread_t] = []
        for t in 0..<4 {
            var th = pthread_t()
            let box = Unmanaged.passRetained(Box(t, db, sync, round)).toOpaque()
            pthread_create(&th, nil, { arg in
                guard let arg else { return nil }
                let box = Unmanaged<Box>.fromOpaque(arg).takeRetainedValue()
                let (t, db, round) = (box.t, box.db, box.round)
                let slot = round % 10
                let w = WriteOptions(sync: box.sync)
                var i = 0
                while true {
                    let key = "r\(slot)-t\(t)-\(i)"
                    do {
                        if i % 10 == 9 {
                            var batch = WriteBatch()
                            let id = "\(round).\(t).\(i)"
                            for j in 0..<3 {
                                ack("intent \(key)-b\(j) batch-\(round)-\(i)-\(j) \(id)")
                                batch.put(Array("\(key)-b\(j)".utf8), Array("batch-\(round)-\(i)-\(j)".utf8))
                            }
                            try db.write(batch, options: w)
                            for j in 0..<3 { ack("ack \(key)-b\(j) batch-\(round)-\(i)-\(j)") }
                        } else if i % 17 == 16 {
                            ack("intent r\(slot)-t\(t)-\(i - 1) DEL -")
                            try db.delete(Array("r\(slot)-t\(t)-\(i - 1)".utf8), options: w)
                            ack("ack r\(slot)-t\(t)-\(i - 1) DEL")
                        } else {
                            let value = "value-\(round)-\(i)-" + String(repeating: "x", count: i % 50)
                            ack("intent \(key) \(value) -")
                            try db.put(Array(key.utf8), Array(value.utf8), options: w)
                            ack("ack \(key) \(value)")
                        }
                        if t == 0 && i % 500 == 499 { try db.flush() }
                        if t == 1 && i % 900 == 899 { try db.compactRange() }
                    } catch {
                        ack("error \(error)")
                    }
                    i += 1
                }
            }, box)
            threads.append(th)
        }
        for th in threads { pthread_join(th, nil) }
    }
}
