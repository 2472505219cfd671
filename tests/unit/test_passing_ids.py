"""The live path's passing ids held as hashes: an id taken in is always known."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.services.passing_ids import PassingIds

IDS = st.sets(st.text(min_size=1, max_size=40), max_size=200)


@given(IDS, IDS, IDS)
def test_every_id_taken_in_is_known_and_others_are_not(
    loaded: set[str], read_later: set[str], added: set[str]
) -> None:
    ids = PassingIds(loaded)
    ids.update(read_later)  # a race's rows are read in parts
    for passing_id in sorted(added):
        ids.add(passing_id)
    taken = loaded | read_later | added
    assert all(passing_id in ids for passing_id in taken)
    # Only an id sharing a hash with one taken in may be called known (a full recompute).
    hashes = {hash(passing_id) for passing_id in taken}
    for passing_id in ("never-stored", "0190c1d2-0000-7000-8000-000000000000"):
        assert (passing_id in ids) == (hash(passing_id) in hashes)


def test_an_id_added_twice_is_kept_once() -> None:
    ids = PassingIds(["a", "b"])
    ids.add("c")
    ids.add("c")
    ids.add("a")
    assert len(ids) == 3
    assert "c" in ids
    assert "d" not in ids
