#!/usr/bin/env bash
# Refresh the front-end libraries in eventnet/static/vendor/ from the npm registry.
#
# Venues often have no usable internet, so the browser must never need a CDN. Versions are
# pinned here; to upgrade one, change its version, run this script, re-run the browser tests and
# update eventnet/static/vendor/README.md. Needs npm, tar, GNU sed and sha256sum; writes only under
# eventnet/static/vendor/.
set -euo pipefail

BARCODE_DETECTOR=3.2.2
ZXING_WASM=3.1.3 # must be the exact zxing-wasm version barcode-detector was built against
CHART_JS=4.6.1
SIGMA=3.0.3
GRAPHOLOGY=0.26.0
GRAPHOLOGY_LIBRARY=0.8.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/eventnet/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION: unpack the npm tarball into $work/NAME
fetch() {
    local tarball
    tarball="$(cd "$work" && npm pack --silent "$1@$2" 2>/dev/null | tail -n 1)"
    mkdir -p "$work/$1"
    tar -xzf "$work/$tarball" -C "$work/$1" --strip-components=1
    echo "fetched $1@$2"
}

# put NAME DEST_DIR FILE...: copy files (paths inside the package) into vendor/DEST_DIR
put() {
    local name="$1" dest="$vendor/$2"
    shift 2
    mkdir -p "$dest"
    for file in "$@"; do
        cp "$work/$name/$file" "$dest/"
    done
}

fetch barcode-detector "$BARCODE_DETECTOR"
fetch zxing-wasm "$ZXING_WASM"
fetch chart.js "$CHART_JS"
fetch sigma "$SIGMA"
fetch graphology "$GRAPHOLOGY"
fetch graphology-library "$GRAPHOLOGY_LIBRARY"

pinned="$(jq -r '.dependencies["zxing-wasm"]' "$work/barcode-detector/package.json" 2>/dev/null ||
    grep -o '"zxing-wasm": *"[^"]*"' "$work/barcode-detector/package.json" | grep -o '[0-9][^"]*')"
if [ "$pinned" != "$ZXING_WASM" ]; then
    echo "barcode-detector@$BARCODE_DETECTOR wants zxing-wasm $pinned, not $ZXING_WASM" >&2
    exit 1
fi

put barcode-detector barcode-detector dist/iife/ponyfill.js LICENSE
put zxing-wasm zxing-wasm dist/reader/zxing_reader.wasm LICENSE
put chart.js chartjs dist/chart.umd.min.js LICENSE.md
put sigma sigma dist/sigma.min.js LICENSE.txt
put graphology graphology dist/graphology.umd.min.js LICENSE.txt
put graphology-library graphology-library dist/graphology-library.min.js LICENSE.txt

# The ponyfill refuses a .wasm whose SHA-256 differs from the one it was built with.
wasm_sha="$(sha256sum "$vendor/zxing-wasm/zxing_reader.wasm" | cut -d ' ' -f 1)"
if ! grep -q "$wasm_sha" "$vendor/barcode-detector/ponyfill.js"; then
    echo "zxing_reader.wasm ($wasm_sha) is not the one barcode-detector expects" >&2
    exit 1
fi

# Sourcemap comments would make browsers request .map files we do not ship.
sed -i -e '/^\/\/# sourceMappingURL=/d' "$vendor"/*/*.js

(cd "$vendor" && find . -type f ! -name SHA256SUMS ! -name README.md ! -name 'LICENSE*' |
    sed 's|^\./||' | sort | xargs sha256sum >SHA256SUMS)
echo "vendored into $vendor (checksums in SHA256SUMS)"
