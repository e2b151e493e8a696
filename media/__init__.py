"""Decoding what customers and operators send (images, audio, video), by the same rules for serving and the catalog build."""
