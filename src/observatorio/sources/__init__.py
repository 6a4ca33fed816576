"""Sources: the adapter interface (``base``), the built-in adapters and the mapping files.

Importing the package registers every built-in adapter and mapping file (``builtin``), so the
registry in ``base`` is complete before anyone asks it, and ``base`` never imports the adapters
that import it.
"""

from observatorio.sources import builtin  # noqa: F401  (registers the built-in sources)
