"""Datasets: loading (`load`), column mapping (`mapping`), the streaming scan (`scan`), readiness per
training method (`readiness`), the inspect report (`inspect`), and train/eval contamination."""
