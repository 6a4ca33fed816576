"""Data submissions: providers upload, reviewers approve (four eyes), approval publishes."""
