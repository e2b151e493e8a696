"""The shop's after-sales policy: YAML rules read strictly, the engine, and the decisions it makes."""
