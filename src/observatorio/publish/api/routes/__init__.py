"""publish/api/routes package."""
