"""What every record builder needs: the tenant's run, its clock, and the end of the simulated history.

Records show each object in its state at the end of the last simulated day: an event after that (a
refund, a payment, a cancellation) has not happened yet. That is what makes the incremental contract hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from .clock import SECONDS_PER_DAY, TenantClock
from .engine_tenant import TenantRun

CURRENCY_NAMES = {"USD": "United States Dollar", "CAD": "Canadian Dollar"}


@dataclass
class ShapeContext:
    run: TenantRun

    def __post_init__(self) -> None:
        self.tenant_id = str(self.run.profile.tenant_id)
        self.slug = self.run.profile.slug
        self.currency = self.run.profile.currency
        self.clock: TenantClock = self.run.clock
        self.first_ordinal = self.run.first_ordinal
        self.last_ordinal = self.run.last_ordinal
        self.last_day = self.last_ordinal - self.first_ordinal  # day index of the last simulated day
        self.end_epoch = self.clock.epoch(self.last_ordinal, SECONDS_PER_DAY - 1)

    def ordinal(self, day_index: int) -> int:
        return self.first_ordinal + int(day_index)

    def iso(self, day_index: int, sod: int) -> str:
        return self.clock.iso(self.first_ordinal + int(day_index), int(sod))

    def epoch(self, day_index: int, sod: int) -> int:
        return self.clock.epoch(self.first_ordinal + int(day_index), int(sod))

    def happened(self, day_index: int, sod: int = 0) -> bool:
        """Whether an event at (day index, second of day) lies within the simulated history."""
        return day_index >= 0 and self.epoch(day_index, sod) <= self.end_epoch
