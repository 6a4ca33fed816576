"""Observatorio Migratorio Regional (CRM)."""

__version__ = "0.1.0"
