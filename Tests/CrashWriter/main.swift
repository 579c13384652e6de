// CrashWriter entry point; see CrashWriterProcess.swift.
CrashWriterProcess.run()
