#!/bin/sh
# Builds Fuzz/sediment-fuzz: Sediment compiled with coverage instrumentation (-sanitize=fuzzer)
# and address sanitizer, linked with libFuzzer. Not part of CI. Usage:
#   Fuzz/build.sh && Fuzz/seed-corpus.sh && Fuzz/sediment-fuzz -max_total_time=3600 Fuzz/corpus
set -eu
cd "$(dirname "$0")/.."
BUILD=.build-fuzz
swift build --build-path "$BUILD" --target Sediment \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xcc -fsanitize=fuzzer-no-link,address
OBJ="$BUILD/debug"
swiftc -sanitize=fuzzer,address -parse-as-library -g -I "$OBJ/Modules" -I Sources/CSedimentSupport/include \
    -Xcc -fmodule-map-file=Sources/CLZ4/module.modulemap -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap \
    -Xcc -fmodule-map-file=Sources/CXXHash/module.modulemap -Xcc -fmodule-map-file="$OBJ/CSedimentSupport.build/module.modulemap" \
    Fuzz/SedimentFuzz.swift "$OBJ"/Sediment.build/*.o "$OBJ"/CSedimentSupport.build/*.o \
    -llz4 -lz -lxxhash -o Fuzz/sediment-fuzz
echo "built Fuzz/sediment-fuzz"
