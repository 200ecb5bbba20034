"""rlvr: fine-tune open language models with verifiable rewards.

The CLI (`rlvr.cli`) is a thin layer over these modules; every verb is also a plain function.
"""

__version__ = "0.1.0"
