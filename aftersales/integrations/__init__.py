"""The shop's own systems: ERP lookups, ingest payloads, and the demo seed."""
