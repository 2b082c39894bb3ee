#!/usr/bin/env bash
# Build the single-file edgekit executable, binary/dist/edgekit (for the OS and CPU it is built on).
#
#   pip install -e ".[binary]" && binary/build.sh [PYTHON]
#
# PYTHON is an interpreter with edgekit's dependencies and PyInstaller installed (default: python3).
# EDGEKIT_BUILD_DIR / EDGEKIT_DIST_DIR override binary/build and binary/dist.
#
# Why PyInstaller rather than Nuitka: PyInstaller packs the interpreter and the already-compiled wheels
# as they are. A build takes about a minute on 2 cores, needs no C compiler, and PyInstaller (with
# pyinstaller-hooks-contrib) maintains the hooks numpy, scipy, onnxruntime and lark need. Nuitka first
# translates every Python module to C and compiles it: tens of minutes for a numpy/scipy/onnx tree on a
# machine like this one, a C toolchain on every build host, and nothing gained where edgekit spends its
# time: the hot paths are already native (numpy, onnxruntime, the forest's table-driven automata) and
# start-up is dominated by unpacking shared libraries and importing, not by running bytecode. Both make
# one-file executables that unpack native libraries at start.
#
# Outputs (in binary/dist):
#   edgekit          the one-file CLI: a small sh launcher + the PyInstaller program folder (tar.gz). Its
#                    first run unpacks into ~/.cache/edgekit/bin/<build id>; later runs start directly.
#   edgekit-onefile  PyInstaller's own one-file mode: unpacks the whole program folder (native libraries
#                    included) into a fresh temporary folder at every start. Kept for comparison and for
#                    hosts without tar/gzip.
#   edgekit-onedir/  the program folder itself.
# Size and cold-start figures: benchmarks/RESULTS.md, section "binary" (python benchmarks/binary.py);
# tests/test_binary.py (EDGEKIT_TEST_BINARY=1) builds and checks it from outside the source tree.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${1:-python3}"
WORK="${EDGEKIT_BUILD_DIR:-$HERE/build}"
DIST="${EDGEKIT_DIST_DIR:-$HERE/dist}"

# 1. Stage the sources in the installed layout (grammars/ becomes the package edgekit.grammars).
rm -rf "$WORK/stage" "$WORK/cache"
mkdir -p "$WORK/stage" "$WORK/cache"
cp -r "$ROOT/edgekit" "$ROOT/exporters" "$WORK/stage/"
cp -r "$ROOT/grammars" "$WORK/stage/edgekit/grammars"
find "$WORK/stage" -name __pycache__ -prune -exec rm -rf {} +

# 2. Compile the shipped grammars once, so the binary's first run does not have to. (From $WORK, so
#    that the staged edgekit is imported, not the source tree in the current directory.)
cd "$WORK"
EDGEKIT_CACHE="$WORK/cache" PYTHONPATH="$WORK/stage" "$PY" -c '
from edgekit.forest import load_forest, shipped_grammars
for name in shipped_grammars():
    load_forest(name)
    print("compiled", name, "from", __import__("edgekit").__file__)'

# 3. Freeze.
EDGEKIT_STAGE="$WORK/stage" EDGEKIT_FOREST_CACHE="$WORK/cache" PYTHONPATH="$WORK/stage" \
  "$PY" -m PyInstaller --noconfirm --clean --log-level WARN --workpath "$WORK/pyinstaller" \
  --distpath "$DIST" "$HERE/edgekit.spec"

# 4. Wrap the program folder into the one-file launcher (see binary/launcher.sh). libpython carries debug
#    symbols: strip just it (stripping the wheels' auditwheel-patched libraries breaks them).
if command -v strip > /dev/null; then strip --strip-debug "$DIST"/edgekit-onedir/_internal/libpython3*.so*; fi
tar -cf - -C "$DIST/edgekit-onedir" . | gzip -6 > "$WORK/payload.tar.gz"
ID="$(sha256sum "$WORK/payload.tar.gz" | cut -c1-16)"
SKIP=$(( $(wc -l < "$HERE/launcher.sh") + 1 ))
VERSION="$(cd "$WORK" && PYTHONPATH="$WORK/stage" "$PY" -c 'import edgekit; print(edgekit.__version__)')"
sed -e "s/@ID@/$ID/g" -e "s/@SKIP@/$SKIP/g" -e "s/@VERSION@/$VERSION/g" "$HERE/launcher.sh" > "$DIST/edgekit"
cat "$WORK/payload.tar.gz" >> "$DIST/edgekit"
chmod +x "$DIST/edgekit"

# 5. Smoke test from outside the source tree.
cd "$(mktemp -d)"
for exe in "$DIST/edgekit" "$DIST/edgekit-onefile"; do
    test "$(echo "twenty five" | "$exe" normalize --grammar en-itn)" = "25"
done
ls -l "$DIST/edgekit" "$DIST/edgekit-onefile"
