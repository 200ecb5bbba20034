"""Evaluation: generation backends, metrics (pass@k, maj@k, intervals), benchmarks."""
