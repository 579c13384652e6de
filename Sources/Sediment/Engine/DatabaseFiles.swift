// DatabaseFiles: the files Sediment keeps in a database directory only so that RocksDB's tools
// find what RocksDB itself would leave there (DESIGN.md §2, §12):
//
//   IDENTITY        the database id, a random RFC 4122 version-4 UUID in text (36 bytes, no
//                   newline), written once when missing and never changed.
//   OPTIONS-NNNNNN  Sediment's options in RocksDB's options-file syntax (INI-like sections
//                   [Version], [DBOptions], [CFOptions "default"], [TableOptions/BlockBasedTable
//                   "default"]; options not listed take RocksDB's defaults), written at every
//                   open under a fresh file number, so `ldb --try_load_options` and
//                   `rocksdb::LoadLatestOptions` find settings that read this database.
//
// Earlier OPTIONS files that Sediment wrote (recognised by their marker line) are removed after
// the new one is durable; OPTIONS files written by RocksDB are left alone, as are LOG files.
// Neither file is needed to open the database: Sediment never reads them back except for the
// marker. Called once during open, before the core is shared.

enum DatabaseFiles {
    /// The line that marks an OPTIONS file as Sediment's.
    static let optionsMarker = "# Written by Sediment: its options in RocksDB's syntax."

    /// Writes IDENTITY when missing and a new OPTIONS file under a fresh file number (past every
    /// OPTIONS file present), then removes older OPTIONS files that Sediment wrote. As in RocksDB
    /// (`fail_if_options_file_error` false), a failure to write the OPTIONS file is ignored: the
    /// file is a convenience for other tools, and the database is complete without it.
    /// - Throws: `SedimentError` from the file system when IDENTITY cannot be written.
    static func write(directory: String, options: Options, versions: VersionSet) throws {
        let fs = options.fileSystem
        for name in try fs.children(of: directory) {
            if let (kind, number) = FileNames.parse(name), kind == .options { versions.markFileNumberUsed(number) }
        }
        let optionsNumber = versions.newFileNumber()
        let identity = FileNames.identity(directory)
        // An empty IDENTITY (a write that failed before this rule) is written again.
        if !fs.fileExists(identity) || (try? fs.fileSize(identity)) == 0 {
            do {
                try fs.writeWholeFile(identity, Array(newIdentity().utf8))
                try fs.syncDirectory(directory)
            } catch {
                // Leave no partial IDENTITY behind for the next open to take as written.
                try? fs.removeFile(identity)
                throw error
            }
        }
        do {
            try fs.writeWholeFile(FileNames.options(directory, optionsNumber), Array(optionsFileText(options).utf8))
            try fs.syncDirectory(directory)
        } catch {
            try? fs.removeFile(FileNames.options(directory, optionsNumber))
            return
        }
        for name in (try? fs.children(of: directory)) ?? [] {
            guard let (kind, number) = FileNames.parse(name), kind == .options, number < optionsNumber else { continue }
            let path = directory + "/" + name
            guard let bytes = try? fs.readWholeFile(path),
                  String(decoding: bytes.prefix(256), as: UTF8.self).contains(optionsMarker) else { continue }
            try? fs.removeFile(path)
        }
    }

    /// A random version-4 UUID, lowercase, as RocksDB writes in IDENTITY.
    static func newIdentity() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        var text = ""
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text += "-" }
            text += hexByte(b)
        }
        return text.lowercased()
    }

    /// RocksDB's name for a WAL recovery mode.
    private static func name(_ mode: WALRecoveryMode) -> String {
        switch mode {
        case .tolerateCorruptedTailRecords: "kTolerateCorruptedTailRecords"
        case .absoluteConsistency: "kAbsoluteConsistency"
        case .pointInTime: "kPointInTimeRecovery"
        case .skipAnyCorruptedRecords: "kSkipAnyCorruptedRecords"
        }
    }

    /// RocksDB's name for a compression.
    private static func name(_ compression: Compression) -> String {
        switch compression {
        case .none: "kNoCompression"
        case .lz4: "kLZ4Compression"
        case .zlib: "kZlibCompression"
        }
    }

    /// The OPTIONS file for `options`: the settings RocksDB needs to read and continue this
    /// database as Sediment would, in RocksDB 7.8.3's syntax.
    static func optionsFileText(_ options: Options) -> String {
        let filter = options.bloomBitsPerKey > 0 ? "bloomfilter:\(options.bloomBitsPerKey):false" : "nullptr"
        return """
        # This is a RocksDB option file.
        \(optionsMarker)
        #

        [Version]
          rocksdb_version=7.8.3
          options_file_version=1.1

        [DBOptions]
          create_if_missing=\(options.createIfMissing)
          paranoid_checks=\(options.paranoidChecks)
          max_open_files=\(options.maxOpenFiles)
          max_background_jobs=\(options.maxBackgroundJobs)
          max_manifest_file_size=\(options.maxManifestFileSize)
          wal_recovery_mode=\(name(options.walRecoveryMode))
          recycle_log_file_num=0
          allow_2pc=false

        [CFOptions "default"]
          comparator=leveldb.BytewiseComparator
          merge_operator=nullptr
          compression=\(name(options.compression))
          bottommost_compression=kDisableCompressionOption
          write_buffer_size=\(options.writeBufferSize)
          max_write_buffer_number=\(options.maxWriteBufferNumber)
          level0_file_num_compaction_trigger=\(options.level0FileNumCompactionTrigger)
          level0_slowdown_writes_trigger=\(options.level0SlowdownWritesTrigger)
          level0_stop_writes_trigger=\(options.level0StopWritesTrigger)
          target_file_size_base=\(options.targetFileSizeBase)
          max_bytes_for_level_base=\(options.maxBytesForLevelBase)
          max_bytes_for_level_multiplier=\(options.maxBytesForLevelMultiplier)
          level_compaction_dynamic_level_bytes=false
          num_levels=\(options.numLevels)
          disable_auto_compactions=\(options.disableAutoCompactions)
          enable_blob_files=false

        [TableOptions/BlockBasedTable "default"]
          format_version=5
          checksum=kCRC32c
          index_type=kBinarySearch
          whole_key_filtering=true
          filter_policy=\(filter)
          block_size=\(options.blockSize)
          block_restart_interval=\(options.blockRestartInterval)

        """
    }
}
