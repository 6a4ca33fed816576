#!/usr/bin/env bash
# Build the portal's two partial plotly.js bundles, the documented way (plotly.js/lib/core plus
# the trace modules a page needs, registered in an entry file):
#   entry.js       -> plotly-portal-<v>.min.js  scatter, bar, choropleth, scattergeo (~0.5 MB gzip):
#                     pages with a map
#   entry-basic.js -> plotly-basic-<v>.min.js   scatter, bar: pages without a map load only this
# instead of the full 4.8 MB / 1.4 MB gzip bundle of the plotly Python package, which the
# portal serves only when these have not been built. `make run` calls this script; node and npm
# are needed here only (installed with apt-get when missing), never at run time. npm packages go
# to node_modules/.portal/ (git-ignored); the bundles to node_modules/.portal/dist/. A bundle
# already there and newer than its entry file is kept (FORCE=1 rebuilds both).
#
#     bash src/observatorio/publish/web/vendor/build.sh
set -euo pipefail
PLOTLY_JS_VERSION="${PLOTLY_JS_VERSION:-4.1.1}"   # the plotly.js the plotly Python package ships
ESBUILD_VERSION="${ESBUILD_VERSION:-0.28.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../.." && pwd)"
PREFIX="$ROOT/node_modules/.portal"
OUT="$PREFIX/dist/plotly-portal-$PLOTLY_JS_VERSION.min.js"
OUT_BASIC="$PREFIX/dist/plotly-basic-$PLOTLY_JS_VERSION.min.js"

WORLD="$PREFIX/dist/topojson/world_110m.json"

# The world's land at 1:110m (Natural Earth, public domain, as plotly.js ships it in
# dist/plotly-geo-assets.js; borders, coastlines, rivers, lakes and ocean dropped): maps that reach past the
# region's own shapes (the deaths map runs to Chile) draw land from it. Written beside the final
# name, then moved.
extract_world() {
  mkdir -p "$(dirname "$WORLD")"
  node -e '
    global.window = {};
    const assets = require(process.argv[1]);
    const topo = (assets.topojson || window.Plotly.topojson).world_110m;
    // keep the land only (the maps draw nothing else: borders come from our own shapes) and its arcs
    const keep = ["land"], used = new Map(), arcs = [];
    const remap = (ref) => {
      const i = ref < 0 ? ~ref : ref;
      if (!used.has(i)) { used.set(i, arcs.length); arcs.push(topo.arcs[i]); }
      return ref < 0 ? ~used.get(i) : used.get(i);
    };
    const walk = (a) => Array.isArray(a) ? a.map(walk) : remap(a);
    const objects = {};
    for (const name of Object.keys(topo.objects)) {
      const object = topo.objects[name];
      objects[name] = keep.includes(name)
        ? { ...object, geometries: object.geometries.map((g) => ({ ...g, arcs: walk(g.arcs) })) }
        : { type: "GeometryCollection", geometries: [] };
    }
    require("fs").writeFileSync(process.argv[2], JSON.stringify({ ...topo, objects, arcs }));
  ' "$PREFIX/node_modules/plotly.js/dist/plotly-geo-assets.js" "$WORLD.tmp"
  mv "$WORLD.tmp" "$WORLD"
  echo "extracted $WORLD ($(wc -c < "$WORLD") bytes)"
}

# up_to_date OUT ENTRY: the bundle exists and is newer than its entry file (FORCE=1: never)
up_to_date() { [[ -s "$1" && "$1" -nt "$2" && -z "${FORCE:-}" ]]; }

if up_to_date "$OUT" "$HERE/entry.js" && up_to_date "$OUT_BASIC" "$HERE/entry-basic.js"; then
  echo "plotly.js bundles up to date: $OUT $OUT_BASIC"
  [[ -s "$WORLD" ]] || extract_world
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

# bundle ENTRY OUT: one entry file into one minified bundle, written beside the final name,
# then moved (the portal never serves a half-written bundle)
bundle() {
  cp "$HERE/$1" "$PREFIX/$1"
  "$PREFIX/node_modules/.bin/esbuild" "$PREFIX/$1" --bundle --format=iife --global-name=Plotly \
    --minify --target=es2016 --define:global=window --define:define.amd=false \
    --alias:stream=stream-browserify --log-level=warning --outfile="$2.tmp.js"
  rm -f "$2.tmp.css"   # maplibre's stylesheet: only map tiles need it, the portal has none
  mv "$2.tmp.js" "$2"
  echo "built $2 ($(wc -c < "$2") bytes)"
}

up_to_date "$OUT" "$HERE/entry.js" || bundle entry.js "$OUT"
up_to_date "$OUT_BASIC" "$HERE/entry-basic.js" || bundle entry-basic.js "$OUT_BASIC"
extract_world
