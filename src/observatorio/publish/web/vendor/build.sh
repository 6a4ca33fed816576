#!/usr/bin/env bash
# Build the portal's partial plotly.js bundle (scatter, bar, choropleth, scattergeo).
#
# ~1.4 MB raw / ~0.5 MB gzip instead of the full 4.8 MB / 1.4 MB bundle of the plotly Python
# package, which the portal serves only when this bundle has not been built. `make run` calls
# this script; node and npm are needed here only (installed with apt-get when missing), never
# at run time. npm packages go to node_modules/.portal/ (git-ignored); the bundle to
# node_modules/.portal/dist/. Nothing is done when the bundle is already there and newer than
# entry.js (FORCE=1 rebuilds).
#
#     bash src/observatorio/publish/web/vendor/build.sh
set -euo pipefail
PLOTLY_JS_VERSION="${PLOTLY_JS_VERSION:-4.1.1}"   # the plotly.js the plotly Python package ships
ESBUILD_VERSION="${ESBUILD_VERSION:-0.28.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../.." && pwd)"
PREFIX="$ROOT/node_modules/.portal"
OUT="$PREFIX/dist/plotly-portal-$PLOTLY_JS_VERSION.min.js"

if [[ -s "$OUT" && "$OUT" -nt "$HERE/entry.js" && -z "${FORCE:-}" ]]; then
  echo "plotly.js bundle up to date: $OUT"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm no está instalado: se instala con apt-get / npm is missing: installing it with apt-get"
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

mkdir -p "$PREFIX/dist"
npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
  "plotly.js@$PLOTLY_JS_VERSION" "esbuild@$ESBUILD_VERSION"
cp "$HERE/entry.js" "$PREFIX/entry.js"
# written beside the final name, then moved: the portal never serves a half-written bundle
"$PREFIX/node_modules/.bin/esbuild" "$PREFIX/entry.js" --bundle --format=iife --global-name=Plotly \
  --minify --target=es2016 --define:global=window --define:define.amd=false \
  --alias:stream=stream-browserify --log-level=warning --outfile="$OUT.tmp.js"
rm -f "$OUT.tmp.css"   # maplibre's stylesheet: only map tiles need it, the portal has none
mv "$OUT.tmp.js" "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
