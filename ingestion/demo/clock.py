"""Local business time for the simulator: day ordinals, seconds of day, epochs and the sources' formats.

Every simulated event is stored as (local day ordinal, second of local day). From that pair the record
builders make Shopify's ISO-8601 with offset, Stripe's unix seconds, QuickBooks' local timestamps and
Homebase's UTC `Z` strings, all consistent with each other. The UTC offset of a day is taken at local
noon: businesses here do nothing between 00:00 and 03:00, so daylight-saving switches never split a day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SECONDS_PER_DAY = 86_400


@lru_cache(maxsize=200_000)
def iso_date(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{(seconds % 3600) // 60:02d}"


def iso_utc(epoch: int) -> str:
    """`2025-09-30T17:00:00Z`, the form Homebase returns."""
    day, sod = divmod(int(epoch), SECONDS_PER_DAY)
    return f"{iso_date(EPOCH_ORDINAL + day)}T{sod // 3600:02d}:{(sod % 3600) // 60:02d}:{sod % 60:02d}Z"


class TenantClock:
    """Converts (local day ordinal, second of day) into epochs and source-specific strings."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._offsets: dict[int, int] = {}
        self._offset_strings: dict[int, str] = {}

    def offset_seconds(self, ordinal: int) -> int:
        cached = self._offsets.get(ordinal)
        if cached is None:
            noon = datetime.fromordinal(ordinal).replace(hour=12, tzinfo=self.zone)
            delta = noon.utcoffset() or timedelta(0)
            cached = int(delta.total_seconds())
            self._offsets[ordinal] = cached
            self._offset_strings[ordinal] = _format_offset(cached)
        return cached

    def epoch(self, ordinal: int, sod: int) -> int:
        ordinal, sod = ordinal + sod // SECONDS_PER_DAY, sod % SECONDS_PER_DAY
        return (ordinal - EPOCH_ORDINAL) * SECONDS_PER_DAY + sod - self.offset_seconds(ordinal)

    def epochs(self, ordinals: npt.ArrayLike, sods: npt.ArrayLike) -> npt.NDArray[np.int64]:
        o = np.asarray(ordinals, dtype=np.int64)
        s = np.asarray(sods, dtype=np.int64)
        o, s = o + s // SECONDS_PER_DAY, s % SECONDS_PER_DAY
        if o.size == 0:
            return np.zeros(0, dtype=np.int64)
        lo, hi = int(o.min()), int(o.max())
        table = np.array([self.offset_seconds(x) for x in range(lo, hi + 1)], dtype=np.int64)
        return (o - EPOCH_ORDINAL) * SECONDS_PER_DAY + s - table[o - lo]

    def iso(self, ordinal: int, sod: int) -> str:
        """`2025-01-15T09:32:11-08:00`, the form Shopify and QuickBooks return."""
        ordinal, sod = ordinal + sod // SECONDS_PER_DAY, sod % SECONDS_PER_DAY
        self.offset_seconds(ordinal)
        return (
            f"{iso_date(ordinal)}T{sod // 3600:02d}:{(sod % 3600) // 60:02d}:{sod % 60:02d}"
            f"{self._offset_strings[ordinal]}"
        )

    def local_from_epoch(self, epoch: int) -> tuple[int, int]:
        """(local ordinal, second of day) of an epoch."""
        moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(self.zone)
        return moment.date().toordinal(), moment.hour * 3600 + moment.minute * 60 + moment.second
