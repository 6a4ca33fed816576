"""harmonize package."""
