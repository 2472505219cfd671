"""Predicted finish times (central.services.predict), on cases worked out by hand."""

from __future__ import annotations

import pytest

from central.services.predict import (
    LegRatios,
    field_legs,
    naive_finish,
    predict_finish,
)

S = 1_000_000  # µs per second
MIN = 60 * S
TEN_K = ("KM5", "FINISH")
TEN_K_M = {"KM5": 5000, "FINISH": 10000}


def test_naive_is_the_pace_so_far_carried_to_the_finish() -> None:
    # 25:00 at 5 km of 10 km: 50:00; 40:00 at 10 km of a half (21.1 km): 84:24.
    assert naive_finish({"KM5": 25 * MIN}, TEN_K, TEN_K_M) == 50 * MIN
    half = ("KM5", "KM10", "FINISH")
    distances = {"KM5": 5000, "KM10": 10000, "FINISH": 21100}
    assert naive_finish({"KM5": 20 * MIN, "KM10": 40 * MIN}, half, distances) == 84.4 * MIN
    assert naive_finish({"KM5": 25 * MIN}, TEN_K, {}) is None  # distances unknown


def test_a_field_of_one_ratio_gives_that_ratio() -> None:
    # Three finishers who all took 2.2 times their 5 km time: 25:00 at 5 km gives 55:00,
    # where the pace so far says 50:00.
    field = [{"KM5": t * MIN, "FINISH": round(t * 2.2 * MIN)} for t in (22, 25, 28)]
    prediction = predict_finish({"KM5": 25 * MIN}, TEN_K, field_legs(field, TEN_K), TEN_K_M)
    assert prediction is not None
    assert prediction.finish_us == pytest.approx(55 * MIN, abs=1)
    assert (prediction.method, prediction.references) == ("field", 3)


def test_runners_of_a_similar_pace_weigh_more() -> None:
    # Three at 20:00 (x2.0) and three at 30:00 (x2.4) at 5 km. A runner at 30:00: the slow
    # ones are at distance 0 (weight 1), the fast ones at ln(1.5), the widest distance
    # times 1.5, so a tricube weight of (1 - (1/1.5)^3)^3 = 0.34847. The ratio is
    # exp((ln 2.4 + 0.34847 ln 2.0) / 1.34847) = 2.28954: 30:00 gives 68:41.2 (4121.18 s),
    # where the plain mean (x2.2) would give 66:00 and the pace so far 60:00.
    field = [{"KM5": 20 * MIN, "FINISH": 40 * MIN}] * 3 + [
        {"KM5": 30 * MIN, "FINISH": 72 * MIN}
    ] * 3
    prediction = predict_finish({"KM5": 30 * MIN}, TEN_K, field_legs(field, TEN_K), TEN_K_M)
    assert prediction is not None
    assert prediction.finish_us / S == pytest.approx(4121.18, abs=0.01)


def test_legs_the_field_has_not_run_go_at_the_pace_so_far() -> None:
    # Half marathon, the runner at 5 km in 25:00. Three runners took 2.1 times their 5 km
    # time to reach 10 km (52:30 for this runner); nobody has finished: from 10 km on at
    # the pace so far, 52:30 x 21.1 / 10 = 110:46.5.
    points = ("KM5", "KM10", "FINISH")
    distances = {"KM5": 5000, "KM10": 10000, "FINISH": 21100}
    field = [{"KM5": t * MIN, "KM10": round(t * 2.1 * MIN)} for t in (20, 24, 26)]
    prediction = predict_finish({"KM5": 25 * MIN}, points, field_legs(field, points), distances)
    assert prediction is not None
    assert prediction.finish_us == pytest.approx(110.775 * MIN, abs=1)
    assert prediction.method == "field"


def test_too_few_references_fall_back_to_the_pace_so_far() -> None:
    field = [{"KM5": 20 * MIN, "FINISH": 44 * MIN}] * 2  # two: fewer than MIN_REFERENCES
    prediction = predict_finish({"KM5": 25 * MIN}, TEN_K, field_legs(field, TEN_K), TEN_K_M)
    assert prediction is not None
    assert (prediction.finish_us, prediction.method, prediction.references) == (50 * MIN, "pace", 0)
    # Without distances there is nothing to say.
    assert predict_finish({"KM5": 25 * MIN}, TEN_K, field_legs(field, TEN_K)) is None


def test_no_prediction_before_the_first_split_or_after_the_finish() -> None:
    legs = field_legs([{"KM5": 20 * MIN, "FINISH": 44 * MIN}] * 3, TEN_K)
    assert predict_finish({}, TEN_K, legs, TEN_K_M) is None
    assert predict_finish({"KM5": 25 * MIN, "FINISH": 51 * MIN}, TEN_K, legs, TEN_K_M) is None


def test_the_prediction_starts_from_the_furthest_point_passed() -> None:
    # Passed KM10 in 50:00 (missed at KM5 does not matter); the field ran 10 km -> finish
    # in x2.0: 100:00.
    points = ("KM5", "KM10", "FINISH")
    field = [{"KM10": t * MIN, "FINISH": 2 * t * MIN} for t in (45, 50, 55)]
    prediction = predict_finish({"KM10": 50 * MIN}, points, field_legs(field, points))
    assert prediction is not None
    assert prediction.finish_us == pytest.approx(100 * MIN, abs=1)


def test_leg_ratios_grow_one_runner_at_a_time() -> None:
    # What the live evaluation does: the same answer whether built at once or runner by runner.
    pairs = [(20 * MIN, 41 * MIN), (25 * MIN, 53 * MIN), (30 * MIN, 66 * MIN)]
    grown = LegRatios(())
    for a, b in reversed(pairs):
        grown.add(a, b)
    grown.add(0, MIN)  # not a time: ignored
    assert len(grown) == 3
    assert grown.ratio(26 * MIN) == pytest.approx(LegRatios(pairs).ratio(26 * MIN))
