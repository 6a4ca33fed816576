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

if [[ -s "$OUT" && "$OUT" -nt "$HERE/entry.js" && -z "${FORCE:-}" ]]; then
  echo "plotly.js bundle up to date: $OUT"
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
cp "$HERE/entry.js" "$PREFIX/entry.js"
# written beside the final name, then moved: the portal never serves a half-written bundle
"$PREFIX/node_modules/.bin/esbuild" "$PREFIX/entry.js" --bundle --format=iife --global-name=Plotly \
  --minify --target=es2016 --define:global=window --define:define.amd=false \
  --alias:stream=stream-browserify --log-level=warning --outfile="$OUT.tmp.js"
rm -f "$OUT.tmp.css"   # maplibre's stylesheet: only map tiles need it, the portal has none
mv "$OUT.tmp.js" "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
extract_world
