"""When assets refresh by themselves: the declarative automation conditions Keel's assets use.

The ``keel_automation`` sensor (``orchestration.definitions``, running by default under ``keel ui``)
evaluates them every minute. A load that brought nothing new materializes nothing, so nothing below it
counts as changed and nothing is rebuilt.

- ``ON_NEW_INPUTS`` (the dbt models): as soon as an input was updated, once. It is Dagster's ``eager()``
  without "no input is missing" (a tenant that does not use a source never materializes that source's
  partition, and a model over every tenant must not wait for it), or an input built after the asset's own
  latest build (``_inputs_built_after_it``: a load that lands between the models' build and the next
  evaluation, which ``eager()`` alone leaves for the next load).
- ``DAILY_ON_NEW_INPUTS`` (forecasts, evidence, plans, goal evaluations): at most once a day, after the
  daily tick, and only when one of the inputs changed since the asset last ran; so an hourly load refits
  nothing until the next tick, and a day without new data refits nothing at all.
  The dbt tests of the staging and intermediate views carry it too, as asset checks of their own; the
  other checks ride along with their asset's runs.
"""

from __future__ import annotations

from typing import Any

import dagster as dg


def _inputs_built_after_it() -> dg.AutomationCondition[Any]:
    """An input was built after the asset's own latest build, and the asset was not requested since.

    ``eager()`` alone misses this when both fall between two evaluations (its build, then a load): its
    "since last handled" is an ``or`` of conditions, which carries no timestamps, so the reset wins and the
    new input waits for the next one. Here both sides are single conditions, and Dagster compares when
    each happened. ``asked`` keeps a failed build from being requested again at every evaluation: it waits
    for new input, as under ``eager()``.
    """
    condition = dg.AutomationCondition
    input_built = condition.any_deps_match(condition.newly_updated())
    asked = condition.newly_requested().since(input_built)
    return (
        (
            input_built.since(condition.newly_updated())
            | condition.any_deps_match(condition.will_be_requested())
        )
        & ~asked
        & ~condition.in_progress()
        & ~condition.any_deps_in_progress()
        & ~condition.initial_evaluation()
    ).with_label("inputs_built_after_it")


ON_NEW_INPUTS = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
    | _inputs_built_after_it()
).with_label("on_new_inputs")

#: The daily tick of the model refits (UTC): after the night's accounting loads.
MODELS_CRON = "0 5 * * *"


def daily_on_new_inputs(cron: str = MODELS_CRON, timezone: str = "UTC") -> dg.AutomationCondition:
    """Once per cron tick, when an input was updated since the asset last ran (or is about to be)."""
    tick: dg.AutomationCondition[Any] = dg.AutomationCondition.cron_tick_passed(cron, timezone)
    inputs_changed = (
        dg.AutomationCondition.any_deps_updated()
        .since(dg.AutomationCondition.newly_requested() | dg.AutomationCondition.newly_updated())
        .with_label("inputs_updated_since_last_run")
    )
    return (
        dg.AutomationCondition.in_latest_time_window()
        & tick.since_last_handled()
        & inputs_changed
        & ~dg.AutomationCondition.in_progress()
    ).with_label(f"daily_on_new_inputs({cron} {timezone})")


DAILY_ON_NEW_INPUTS = daily_on_new_inputs()
