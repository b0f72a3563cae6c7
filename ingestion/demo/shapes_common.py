"""What every record builder needs: the tenant's run, its clock, and the end of the simulated history.

Records show each object in its state at the end of the last simulated day: an event after that (a
refund, a payment, a cancellation) has not happened yet. That is what makes the incremental contract hold.

A loader that already has everything up to a cursor asks with ``since`` (as an API is asked with
``updated_at_min`` or ``created[gte]``): the builders of the large resources then leave out the records whose
cursor is before it without building them, so a refresh costs what is new, not the tenant's whole history.
A builder may still give older records; the loader drops them (the ``since`` is a lower bound, not a filter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .clock import SECONDS_PER_DAY, TenantClock
from .engine_tenant import TenantRun

CURRENCY_NAMES = {"USD": "United States Dollar", "CAD": "Canadian Dollar"}


@dataclass
class ShapeContext:
    run: TenantRun
    #: Unix seconds: records whose cursor is before this may be left out (None: every record).
    since: int | None = None

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

    def before_since(self, epoch: int) -> bool:
        """Whether a record whose cursor is at ``epoch`` (Unix seconds) may be left out."""
        return self.since is not None and epoch < self.since

    def listed_customers(self) -> npt.NDArray[np.bool_]:
        """Which of the sales run's customers the sources list: all of them, except for a benchmark peer,
        whose history is its last weeks only: its customers from before them who buy nothing in them count
        in no benchmark, and are left out (they were most of its customer rows)."""
        sales = self.run.sales
        assert sales is not None
        if not self.run.profile.is_benchmark_peer:
            return np.ones(sales.n_customers, dtype=bool)
        buyers = sales.o_customer[(sales.o_customer >= 0) & sales.o_recorded]
        return np.bincount(buyers, minlength=sales.n_customers) > 0

    def happened(self, day_index: int, sod: int = 0) -> bool:
        """Whether an event at (day index, second of day) lies within the simulated history."""
        return day_index >= 0 and self.epoch(day_index, sod) <= self.end_epoch
