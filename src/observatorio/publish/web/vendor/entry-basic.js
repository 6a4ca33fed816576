// The portal's light plotly.js: the trace types of pages without maps (scatter comes with
// core). A page loads the full portal bundle (entry.js) only when one of its figures has a map
// trace; keep this list equal to assets.LIGHT_TRACE_TYPES (a test checks it).
// Bundled by build.sh into a git-ignored folder; never commit the output.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
  require('plotly.js/lib/bar'),
]);
module.exports = Plotly;
