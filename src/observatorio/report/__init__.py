"""Monthly bulletins (regional and per country) in PDF, XLSX and HTML, Spanish and English.

Content is assembled from the portal's page builders and the API's query and analysis
functions (one chart definition, one query path); :mod:`html`, :mod:`pdf` and :mod:`xlsx` only
lay it out.
"""
