"""The promotion load harness: an open-loop generator, the promotion traffic mix, and the no-op app the framework's
ceiling is measured on (benchmarks/promotion_load.py runs them)."""
