"""publish/web package."""
