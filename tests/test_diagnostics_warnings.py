import warnings

import pytest

from rlvr.train.diagnostics import (RewardSignalWarning, SignalWatch, group_flat, log_histogram, quantiles,
                                    wrap_rewards)


def _call(fns, completions, **kw):
    logged = {}
    for fn in fns:
        fn(None, completions, log_metric=lambda k, v: logged.__setitem__(k, v), **kw)
    return logged


def test_quantiles_and_flat_groups_on_literals():
    assert quantiles([0.0, 1.0, None, 0.5, 0.5, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]) == [0.0, 0.0, 1.0]
    assert quantiles([None, None]) is None
    assert group_flat([1, 1, 0, 1, None, 0.5], 2) == [True, False, True]


def test_each_component_logs_its_quantiles_and_the_total_flat_share():
    def accuracy(prompts, completions, **kw):
        return [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]

    def numeric(prompts, completions, **kw):
        return [0.5, 0.0, 1.0, 0.0, 0.0, 0.0]

    fns = wrap_rewards([accuracy, numeric], group_size=2, watch=SignalWatch(min_calls=99))
    logged = _call(fns, ["a", "b", "c", "d", "e", "f"])
    # nearest rank over 6 sorted values: p10 -> index 0, p50 -> index 2, p90 -> index 4
    assert [logged[f"diagnostics/accuracy/{q}"] for q in ("p10", "p50", "p90")] == [0.0, 0.0, 0.0]
    assert [logged[f"diagnostics/numeric/{q}"] for q in ("p10", "p50", "p90")] == [0.0, 0.0, 0.5]
    # groups: (a,b) flat for accuracy but not numeric; (c,d) varies in both; (e,f) flat in both -> 1 of 3
    assert logged["diagnostics/accuracy/zero_variance_frac"] == pytest.approx(2 / 3)
    assert logged["diagnostics/zero_variance_frac"] == pytest.approx(1 / 3)


def test_sparse_signal_warns_with_advice_at_most_once_per_window():
    def accuracy(prompts, completions, **kw):
        return [0.0] * len(completions)

    watch = SignalWatch(window=3, min_calls=3, every=5)
    (fn,) = wrap_rewards([accuracy], group_size=4, watch=watch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(12):  # distinct completions, all rewarded 0: flat but diverse
            fn(None, ["1", "2", "3", "4", "5", "6", "7", "8"])
    msgs = [str(w.message) for w in caught if issubclass(w.category, RewardSignalWarning)]
    # calls 3, 8 (3 + every) -> two warnings in 12 calls, not ten
    assert len(msgs) == 2 and watch.issued == msgs
    assert "100% of GRPO groups" in msgs[0] and "add partial credit (numeric), an SFT stage" in msgs[0]
    assert not any("raise temperature:" in m or "distinct" in m for m in msgs)


def test_low_diversity_warns_to_raise_temperature():
    def numeric(prompts, completions, **kw):
        return [float(i % 2) for i in range(len(completions))]  # rewards vary: not sparse

    watch = SignalWatch(window=3, min_calls=3, every=100)
    (fn,) = wrap_rewards([numeric], group_size=4, watch=watch)
    with pytest.warns(RewardSignalWarning, match="raise temperature"):
        for _ in range(3):
            fn(None, ["same", "same", "same", "other"] * 2)  # 50% distinct per group
            fn(None, ["same"] * 8)  # 25%: the mean of the last 3 calls falls under 50%
    assert len(watch.issued) == 1 and "distinct" in watch.issued[0]


def test_a_healthy_signal_never_warns():
    def accuracy(prompts, completions, **kw):
        return [1.0, 0.0, 1.0, 0.0]

    watch = SignalWatch(window=3, min_calls=3, every=1)
    (fn,) = wrap_rewards([accuracy], group_size=2, watch=watch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RewardSignalWarning)
        for _ in range(10):
            fn(None, ["x", "y", "z", "w"])
    assert watch.issued == []


def test_no_trackio_run_means_no_histogram():
    assert log_histogram("accuracy", [1.0, 0.0], step=1) is False


def test_histogram_goes_to_an_active_trackio_run(tmp_path, monkeypatch):
    trackio = pytest.importorskip("trackio")
    monkeypatch.setenv("TRACKIO_DIR", str(tmp_path))
    logged = []

    class FakeRun:
        def log(self, metrics, step=None):
            logged.append(metrics)

    from trackio import context_vars

    token = context_vars.current_run.set(FakeRun())
    try:
        assert log_histogram("numeric", [1.0, 0.5, None, 0.0], step=7) is True
    finally:
        context_vars.current_run.reset(token)
    (row,) = logged
    assert row["train/global_step"] == 7
    assert isinstance(row["diagnostics/numeric/histogram"], trackio.Histogram)
