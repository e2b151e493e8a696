"""Image embedders for the catalog: EfficientNet-Lite0 (offline default) or open_clip."""
