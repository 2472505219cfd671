"""A bench's figure next to its goal: one line each, and whether every goal is met.

Issue 20: ``make bench`` prints each figure next to its goal, and a bench over
its goal exits non-zero. A bench lists its :class:`Goal` objects, prints each
with :meth:`Goal.report` and exits with :func:`exit_code`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    """A figure a bench must keep at most (or, with ``at_least``, at least) ``limit``."""

    name: str
    limit: float
    unit: str
    at_least: bool = False

    def met(self, figure: float) -> bool:
        """Whether ``figure`` meets the goal."""
        return figure >= self.limit if self.at_least else figure <= self.limit

    def report(self, figure: float) -> bool:
        """Print ``name: figure unit (goal <= limit unit) ok|MISSED``; whether it is met."""
        sign = ">=" if self.at_least else "<="
        verdict = "ok" if self.met(figure) else "MISSED"
        unit = f" {self.unit}" if self.unit else ""
        print(f"{self.name}: {figure:,.2f}{unit} (goal {sign} {self.limit:,g}{unit}) {verdict}")
        return self.met(figure)


def exit_code(results: list[bool]) -> int:
    """0 when every goal was met, else 1 (what ``make bench`` stops on)."""
    return 0 if all(results) else 1
