#!/usr/bin/env bash
# Build the portal's partial plotly.js bundle (scatter, bar, choropleth, scattergeo).
#
# ~1.4 MB raw / ~0.5 MB gzip instead of the full 4.8 MB / 1.4 MB bundle of the plotly Python
# package, which the portal serves when this bundle has not been built. npm packages go to
# node_modules/.portal/ (git-ignored); the bundle to node_modules/.portal/dist/.
#
#     bash src/observatorio/publish/web/vendor/build.sh
set -euo pipefail
PLOTLY_JS_VERSION="${PLOTLY_JS_VERSION:-4.1.1}"   # the plotly.js the plotly Python package ships
ESBUILD_VERSION="${ESBUILD_VERSION:-0.28.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../.." && pwd)"
PREFIX="$ROOT/node_modules/.portal"
mkdir -p "$PREFIX/dist"
npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
  "plotly.js@$PLOTLY_JS_VERSION" "esbuild@$ESBUILD_VERSION"
cp "$HERE/entry.js" "$PREFIX/entry.js"
OUT="$PREFIX/dist/plotly-portal-$PLOTLY_JS_VERSION.min.js"
"$PREFIX/node_modules/.bin/esbuild" "$PREFIX/entry.js" --bundle --format=iife --global-name=Plotly \
  --minify --target=es2016 --define:global=window --define:define.amd=false \
  --alias:stream=stream-browserify --log-level=warning --outfile="$OUT"
rm -f "${OUT%.js}.css"   # maplibre's stylesheet: only map tiles need it, the portal has none
echo "built $OUT ($(wc -c < "$OUT") bytes)"
