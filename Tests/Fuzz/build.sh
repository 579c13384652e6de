#!/bin/sh
# Builds Tests/Fuzz/sediment-fuzz: Sediment compiled with coverage instrumentation (-sanitize=fuzzer)
# and address sanitizer, linked with libFuzzer. Not part of CI. Usage:
#   Tests/Fuzz/build.sh && Tests/Fuzz/seed-corpus.sh && Tests/Fuzz/sediment-fuzz -max_total_time=3600 Tests/Fuzz/corpus
set -eu
cd "$(dirname "$0")/../.."
BUILD=.build-fuzz
swift build --build-path "$BUILD" --target Sediment \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xcc -fsanitize=fuzzer-no-link,address
OBJ="$BUILD/debug"
swiftc -sanitize=fuzzer,address -parse-as-library -g -I "$OBJ/Modules" -I Sources/CSedimentSupport/include \
    -Xcc -fmodule-map-file=Sources/CLZ4/module.modulemap -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap \
    -Xcc -fmodule-map-file=Sources/CXXHash/module.modulemap -Xcc -fmodule-map-file="$OBJ/CSedimentSupport.build/module.modulemap" \
    Tests/Fuzz/SedimentFuzz.swift "$OBJ"/Sediment.build/*.o "$OBJ"/CSedimentSupport.build/*.o \
    -llz4 -lz -lxxhash -o Tests/Fuzz/sediment-fuzz
echo "built Tests/Fuzz/sediment-fuzz"
