#!/bin/sh
# Builds Tests/Fuzz/sediment-fuzz: Sediment compiled with coverage instrumentation
# (-sanitize=fuzzer) and the address sanitizer, linked with libFuzzer (which ships with the Swift
# toolchain), plus the fuzz entry points shared with the suite (Tests/SedimentTests/Fuzz/, built
# here with -D SEDIMENT_LIBFUZZER) and TemporaryDirectory.swift. Outside SwiftPM because
# SwiftPM cannot link a libFuzzer main. Tests/Fuzz/ci.sh builds, seeds and runs every target (CI);
# by hand:
#   Tests/Fuzz/build.sh && Tests/Fuzz/seed-corpus.sh
#   SEDIMENT_FUZZ_TARGET=manifest Tests/Fuzz/sediment-fuzz -max_total_time=600 Tests/Fuzz/corpus/manifest
set -eu
cd "$(dirname "$0")/../.."
BUILD=.build-fuzz
swift build -c release --build-path "$BUILD" --target Sediment \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -g -Xswiftc -D -Xswiftc SEDIMENT_INVARIANTS \
    -Xcc -fsanitize=fuzzer-no-link,address
OBJ="$BUILD/release"
swiftc -O -sanitize=fuzzer,address -parse-as-library -g -D SEDIMENT_LIBFUZZER -module-name SedimentFuzz \
    -I "$OBJ/Modules" -I Sources/CSedimentSupport/include \
    -Xcc -fmodule-map-file=Sources/CLZ4/module.modulemap -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap \
    -Xcc -fmodule-map-file=Sources/CXXHash/module.modulemap -Xcc -fmodule-map-file="$OBJ/CSedimentSupport.build/module.modulemap" \
    Tests/Fuzz/SedimentFuzz.swift Tests/SedimentTests/Fuzz/*.swift Tests/SedimentTestSupport/TemporaryDirectory.swift \
    "$OBJ"/Sediment.build/*.o "$OBJ"/CSedimentSupport.build/*.o \
    -llz4 -lz -lxxhash -o Tests/Fuzz/sediment-fuzz
echo "built Tests/Fuzz/sediment-fuzz"
