"""publish/api package."""
