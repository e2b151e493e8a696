"""Speech to text with faster-whisper: the engine, its config, batched decoding and note packing."""
