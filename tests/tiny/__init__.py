"""Builders of tiny random-init models (whisper, vision) that tests load in place of the real weights."""
