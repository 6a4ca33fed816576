// The portal's plotly.js: only the trace types the pages draw (scatter comes with core).
// Bundled by build.sh into a git-ignored folder; never commit the output.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/choropleth'),
  require('plotly.js/lib/scattergeo'),
]);
module.exports = Plotly;
