"""Data: loading, schema scan, readiness, mapping, contamination."""
