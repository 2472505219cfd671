"""The relay leg of an entrant: required in a relay race, refused elsewhere, one per team.

An entrant of a relay race runs one of the race's legs for a team, so both its team and
its leg are required, and two runners of one team on one leg are refused: the timing
engine (edge.timing.relay) could not tell whose crossing ends that leg. A leg on an
entrant of another race is refused too: it is most often a race column typed wrong.
Teams are told apart as the engine tells them: by their name with spaces trimmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from edge.errors import Problem
from edge.imports.headers import fold_text
from edge.phrase import Phrase


class RaceLegs:
    """The legs of each relay race of an event, found as a file writes them ("l1" = "L1")."""

    def __init__(self, legs: Mapping[str, Sequence[str]]) -> None:
        self.legs = {race: tuple(codes) for race, codes in legs.items()}
        self._folded = {race: {fold_text(c): c for c in codes} for race, codes in legs.items()}

    def of(self, race: str) -> tuple[str, ...] | None:
        """The race's legs in running order; None when the race is not a relay."""
        return self.legs.get(race)

    def read(self, race: str, written: str, fail: Callable[[Phrase], None]) -> str | None:
        """The leg code ``written`` means for an entrant of ``race`` (None if empty).

        A leg the race does not have, or any leg in a race that is not a relay, is
        told to ``fail`` (and None returned).
        """
        if not written:
            return None
        legs = self.of(race)
        if legs is None:
            fail(
                Phrase(
                    "leg {leg!r} given, but race {race} is not a relay: "
                    "check the race, or leave the leg empty",
                    leg=written,
                    race=race,
                )
            )
            return None
        code = self._folded[race].get(fold_text(written))
        if code is None:
            fail(_not_a_leg(written, race, legs))
        return code


@dataclass(frozen=True)
class Runner:
    """An entrant as its relay team sees it: bib, race code, team and leg."""

    bib: str
    race: str
    team: str
    leg: str | None
    line: int | None = None  # the file's line; None for an entrant edited on its own


def team_problems(
    changed: Sequence[Runner], others: Iterable[Runner], legs: RaceLegs
) -> list[Problem]:
    """What is wrong with the relay runners being written, against the entrants kept as they are.

    Each runner of ``changed`` in a relay race needs a team and one of the race's legs,
    and a leg its team has not given to another runner, stored (``others``) or written
    before it. Runners of other races are not looked at here (their leg cell is checked
    with the file).
    """
    holders: dict[tuple[str, str, str], Runner] = {}
    for other in others:
        if other.leg and legs.of(other.race) is not None:
            holders.setdefault((other.race, other.team.strip(), other.leg), other)
    problems: list[Problem] = []
    for runner in changed:
        race_legs = legs.of(runner.race)
        if race_legs is None:
            continue
        where = Phrase("bib {bib}", bib=runner.bib)
        team = runner.team.strip()
        reasons: list[Phrase] = []
        if not team:
            reasons.append(Phrase("race {race} is a relay: the team is required", race=runner.race))
        if not runner.leg:
            reasons.append(
                Phrase(
                    "race {race} is a relay: the leg is required ({legs})",
                    race=runner.race,
                    legs=", ".join(race_legs),
                )
            )
        elif runner.leg not in race_legs:
            reasons.append(_not_a_leg(runner.leg, runner.race, race_legs))
        elif team:
            holder = holders.setdefault((runner.race, team, runner.leg), runner)
            if holder is not runner:
                reasons.append(_taken(team, runner.leg, holder))
        problems.extend(Problem(where, reason, runner.line) for reason in reasons)
    return problems


def _not_a_leg(leg: str, race: str, legs: Sequence[str]) -> Phrase:
    return Phrase(
        "leg {leg!r} is not a leg of race {race} ({legs})",
        leg=leg,
        race=race,
        legs=", ".join(legs) or "—",
    )


def _taken(team: str, leg: str, holder: Runner) -> Phrase:
    if holder.line is None:
        return Phrase(
            "team {team!r} already has bib {bib} on leg {leg}", team=team, bib=holder.bib, leg=leg
        )
    return Phrase(
        "team {team!r} already has bib {bib} on leg {leg} (line {line})",
        team=team,
        bib=holder.bib,
        leg=leg,
        line=holder.line,
    )
