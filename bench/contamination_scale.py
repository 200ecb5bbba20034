"""Contamination check at scale: 100k training rows x 10k eval rows of synthetic text.

Plants a known number of overlaps in the eval set and checks that every one is found:
  - `--plant-ngram` eval items that embed a 20-word span copied from a training row,
  - `--plant-exact` eval items that equal a training row up to case and punctuation,
  - `--plant-near` eval items that are a training row wrapped in "Question: ... Answer briefly."
    (near duplicates; they also share 13-grams),
and that no clean eval item is reported. Prints rows/s and wall time (loading from JSONL included).

    python bench/contamination_scale.py                 # 100k x 10k
    python bench/contamination_scale.py --train 20000 --eval 2000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlvr.data.contamination import ContaminationConfig, check_contamination  # noqa: E402


def make_words(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def sentence(rng: random.Random, words: list[str], lo: int = 30, hi: int = 80) -> str:
    toks = rng.choices(words, k=rng.randint(lo, hi))
    return " ".join(toks).capitalize() + "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=100_000)
    ap.add_argument("--eval", type=int, default=10_000)
    ap.add_argument("--plant-ngram", type=int, default=100)
    ap.add_argument("--plant-exact", type=int, default=50)
    ap.add_argument("--plant-near", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    words = make_words(rng, 20_000)
    t0 = time.perf_counter()
    train = [{"id": f"t{i}", "prompt": sentence(rng, words)} for i in range(args.train)]
    evals = [{"id": f"e{i}", "prompt": sentence(rng, words)} for i in range(args.eval)]
    planted = rng.sample(range(args.eval), args.plant_ngram + args.plant_exact + args.plant_near)
    ngram_ids = planted[: args.plant_ngram]
    exact_ids = planted[args.plant_ngram : args.plant_ngram + args.plant_exact]
    near_ids = planted[args.plant_ngram + args.plant_exact :]
    for i in ngram_ids:
        src = train[rng.randrange(args.train)]["prompt"].rstrip("?").split()
        start = rng.randrange(0, len(src) - 20)
        own = evals[i]["prompt"].split()
        evals[i]["prompt"] = " ".join(own[:10] + src[start : start + 20] + own[10:])
    for i in exact_ids:
        evals[i]["prompt"] = train[rng.randrange(args.train)]["prompt"].upper().replace("?", " !!")
    for i in near_ids:  # a training row wrapped in a few words of framing: Jaccard about 0.9
        evals[i]["prompt"] = "Question: " + train[rng.randrange(args.train)]["prompt"] + " Answer briefly."
    with tempfile.TemporaryDirectory() as tmp:
        train_path, eval_path = Path(tmp) / "train.jsonl", Path(tmp) / "eval.jsonl"
        for path, rows in ((train_path, train), (eval_path, evals)):
            with open(path, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        gen_s = time.perf_counter() - t0

        stages: dict[str, float] = {}
        last = [time.perf_counter(), None]

        def progress(name: str) -> None:
            now = time.perf_counter()
            if last[1] is not None:
                stages[last[1]] = now - last[0]
            last[:] = [now, name]
            print(f"  .. {name}", file=sys.stderr, flush=True)

        cfg = ContaminationConfig(max_listed=10**9)
        t1 = time.perf_counter()
        report = check_contamination(train_path, [eval_path], cfg, write_clean=Path(tmp) / "clean.jsonl", progress=progress)
        wall = time.perf_counter() - t1
        stages[last[1]] = time.perf_counter() - last[0]

    es = report.eval_sets[0]
    found = {it["id"] for it in es.items}
    found_near = {it["id"] for it in es.near_duplicate_items}
    want = {f"e{i}" for i in ngram_ids + exact_ids}
    want_near = {f"e{i}" for i in near_ids}
    missed, extra = want - found, found - want - want_near
    missed_near = want_near - found_near
    total_rows = args.train + args.eval
    print(f"rows: {args.train} train x {args.eval} eval (generated in {gen_s:.1f} s)")
    print(f"wall: {wall:.1f} s  ({total_rows / wall:,.0f} rows/s)  stages: "
          + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()))
    print(f"planted n-gram {len(ngram_ids)} + exact {len(exact_ids)}: found {len(want & found)}, "
          f"missed {len(missed)}, false positives {len(extra)}")
    print(f"planted near duplicates {len(near_ids)}: found {len(want_near) - len(missed_near)} "
          f"as near duplicates; near duplicates reported {es.n_near_duplicates}")
    print(f"contaminated fraction {es.contaminated_fraction:.4f} flagged={es.flagged}; "
          f"train rows removed by --write-clean {report.n_train_overlapping}")
    ok = not missed and not extra and not missed_near
    print("ALL PLANTED OVERLAPS FOUND" if ok else "MISSED OR SPURIOUS OVERLAPS")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
