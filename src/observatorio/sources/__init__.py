"""Sources: the adapter interface (``base``), the built-in adapters and the mapping files.

Importing the package imports nothing else: the registry in ``base`` imports the built-in
adapters and mapping files (``builtin``) the first time it is asked, and a source's public facts
come from ``catalogue`` without any adapter (issue #12: a server worker never imports pandas).
"""
