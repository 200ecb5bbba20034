from rlvr.train.diagnostics import group_unique_fraction, wrap_rewards, zero_variance_fraction


def test_zero_variance_groups_are_detected():
    # two groups of 4: the first all-zero (no signal), the second mixed
    assert zero_variance_fraction([0, 0, 0, 0, 1, 0, 1, 0], 4) == 0.5
    # None (unverifiable) is left out, not counted as a different value
    assert zero_variance_fraction([1, None, 1, 1], 4) == 1.0


def test_unique_fraction_per_group():
    assert group_unique_fraction(["a", "a", "b", "c", "x", "x", "x", "x"], 4) == [0.75, 0.25]


def test_wrapped_rewards_log_diagnostics_and_keep_values():
    logged = {}

    def accuracy(prompts, completions, **kw):
        return [1.0, None, 0.0, 0.0]

    (fn,) = wrap_rewards([accuracy], group_size=2)
    assert fn.__name__ == "accuracy"
    values = fn(None, ["a", "a", "b", "c"], log_metric=lambda k, v: logged.__setitem__(k, v))
    assert values == [1.0, None, 0.0, 0.0]
    assert logged["diagnostics/accuracy/unverifiable_frac"] == 0.25
    assert logged["diagnostics/accuracy/zero_variance_frac"] == 1.0  # [1.0] alone, then [0.0, 0.0]
    assert logged["diagnostics/unique_frac"] == 0.75
    assert logged["diagnostics/groups_low_diversity"] == 0.0
