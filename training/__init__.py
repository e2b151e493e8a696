"""Training kefu's own models."""
