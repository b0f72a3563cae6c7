"""One OpenTelemetry span per Dagster step (an asset or a set of assets), through job hooks.

Dagster runs each step in its own process; a hook runs at the step's end, reads when the step started
from the run's event log, and records ``keel.dagster.step`` with the run id, the step and its assets.
The per-tenant work inside a step (loads, plans, quality checks) has spans of its own with the tenant.
"""

import time

import dagster as dg

from keel import telemetry


def _record(context: dg.HookContext, outcome: str) -> None:
    ended = time.time()
    started = ended
    try:
        stats = context.instance.get_run_step_stats(context.run_id, step_keys=[context.step_key])
        if stats and stats[0].start_time:
            started = float(stats[0].start_time)
    except Exception:  # an event log that cannot say: a span of length zero at the end
        context.log.debug("no step start time for the trace")
    telemetry.record_span(
        "keel.dagster.step",
        started,
        ended,
        run_id=context.run_id,
        job=context.job_name,
        step=context.step_key,
        outcome=outcome,
    )


@dg.success_hook(name="trace_step_success")
def trace_step_success(context: dg.HookContext) -> None:
    _record(context, "success")


@dg.failure_hook(name="trace_step_failure")
def trace_step_failure(context: dg.HookContext) -> None:
    _record(context, "failure")


STEP_HOOKS = {trace_step_success, trace_step_failure}
