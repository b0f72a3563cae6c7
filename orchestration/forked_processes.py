"""Processes forked from a Dagster step start with Python's own interrupt handling, not Dagster's.

While a step runs, Dagster turns SIGINT and SIGTERM into ``DagsterExecutionInterruptedError`` in the
process that runs it. A process forked from that step inherits the handler: libraries that fork worker
pools (statsforecast's ``multiprocessing.Pool`` in the forecasting step) terminate them with SIGTERM when
they are done, so each idle worker raised the error and printed its traceback into the run's output,
although the run succeeded; now and then a worker caught in the error hung the pool. A forked child
gets Python's defaults back right after the fork, so SIGTERM simply ends it. Importing this module
installs the hook (``orchestration.definitions`` does).
"""

from __future__ import annotations

import os
import signal


def restore_default_interrupts() -> None:
    """Python's default SIGINT (KeyboardInterrupt) and SIGTERM (terminate) handling, in this process."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:  # not the main thread of the main interpreter: handlers cannot be set here
        pass


os.register_at_fork(after_in_child=restore_default_interrupts)
