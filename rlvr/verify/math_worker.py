"""Worker process for `rlvr.verify.math.MathVerifier`: reads `[completion, gold]` JSON lines on stdin,
writes `[status, detail]` lines on stdout. Kept separate so it can be killed when math-verify hangs."""

import json
import logging
import sys


def main() -> None:
    logging.disable(logging.WARNING)  # math-verify warns on every call with its own timeouts off
    from rlvr.verify.math import _verify_one

    for line in sys.stdin:
        try:
            completion, gold = json.loads(line)
            result = _verify_one(completion, gold)
        except Exception as e:  # a math-verify crash is the verifier's failure, not the candidate's
            result = ("unverifiable", f"math-verify raised {type(e).__name__}: {e}")
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
