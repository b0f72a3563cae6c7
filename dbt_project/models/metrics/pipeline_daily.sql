{#-
    metrics.pipeline_daily: the sales pipeline of tenants with a CRM (Salesforce), one row per tenant
    and day from its first opportunity to the latest change loaded. Keyed like
    metrics.business_metrics_daily (tenant_id, metric_date), so the two join day by day.

    The state of each opportunity at the end of a day comes from its stage history: the last change
    made on or before that day gives its stage, amount and probability. A stage is closed (or won)
    when Salesforce marks the opportunities standing in it closed (won): the classification follows
    the org's own stages, not their names.
-#}
with

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

opportunities as (

    select * from {{ ref('opportunities') }}

),

history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

stages as (

    select
        tenant_id,
        stage_name,
        bool_or(is_closed) as is_closed
    from opportunities
    group by 1, 2

),

changes as (

    -- each opportunity's changes, the last one of each day; an opportunity without history (not
    -- expected: Salesforce writes a row when it is created) stands as it is now from its first day
    select distinct on (history.tenant_id, history.opportunity_id, changed_date)
        history.tenant_id,
        history.opportunity_id,
        {{ local_date('history.changed_at', 'tenants.timezone') }} as changed_date,
        history.stage_name,
        coalesce(history.amount, 0) as amount,
        coalesce(history.probability, 0) as probability
    from history
    inner join tenants
        on history.tenant_id = tenants.tenant_id
    inner join opportunities
        on
            history.tenant_id = opportunities.tenant_id
            and history.opportunity_id = opportunities.opportunity_id
    where not history.is_deleted
    order by history.tenant_id, history.opportunity_id, changed_date, history.changed_at desc

),

first_states as (

    select
        tenant_id,
        opportunity_id,
        changed_date,
        stage_name,
        amount,
        probability
    from changes
    union all
    select
        opportunities.tenant_id,
        opportunities.opportunity_id,
        opportunities.created_date,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.probability
    from opportunities
    where not exists (
        select 1
        from changes
        where
            changes.tenant_id = opportunities.tenant_id
            and changes.opportunity_id = opportunities.opportunity_id
    )

),

spans as (

    select
        first_states.tenant_id,
        first_states.opportunity_id,
        first_states.amount,
        first_states.probability,
        first_states.changed_date as valid_from,
        coalesce(stages.is_closed, false) as is_closed,
        coalesce(
            lead(first_states.changed_date) over (
                partition by first_states.tenant_id, first_states.opportunity_id
                order by first_states.changed_date
            ) - 1,
            'infinity'::date
        ) as valid_to
    from first_states
    left join stages
        on
            first_states.tenant_id = stages.tenant_id
            and first_states.stage_name = stages.stage_name

),

tenant_spans as (

    select
        tenant_id,
        min(valid_from) as first_date,
        max(valid_from) as last_date
    from spans
    group by 1

),

days as (

    select
        tenant_spans.tenant_id,
        generate_series(tenant_spans.first_date, tenant_spans.last_date, interval '1 day')::date as metric_date
    from tenant_spans

),

open_pipeline as (

    select
        days.tenant_id,
        days.metric_date,
        count(*) as open_opportunities,
        sum(spans.amount) as open_pipeline_amount,
        sum(spans.amount * spans.probability / 100) as weighted_pipeline_amount
    from days
    inner join spans
        on
            days.tenant_id = spans.tenant_id
            and days.metric_date between spans.valid_from and spans.valid_to
    where not spans.is_closed
    group by 1, 2

),

daily_activity as (

    select
        days.tenant_id,
        days.metric_date,
        count(*) filter (where opportunities.created_date = days.metric_date) as opportunities_created,
        count(*) filter (
            where opportunities.closed_date = days.metric_date and opportunities.is_won
        ) as opportunities_won,
        count(*) filter (
            where opportunities.closed_date = days.metric_date and not opportunities.is_won
        ) as opportunities_lost,
        coalesce(sum(opportunities.amount) filter (
            where opportunities.closed_date = days.metric_date and opportunities.is_won
        ), 0) as won_amount
    from days
    inner join opportunities
        on
            days.tenant_id = opportunities.tenant_id
            and days.metric_date in (opportunities.created_date, opportunities.closed_date)
    group by 1, 2

),

closed_recently as (

    -- opportunities closed in the 90 days up to and including the day
    select
        days.tenant_id,
        days.metric_date,
        count(*) as closed_opportunities_90d,
        count(*) filter (where opportunities.is_won) as won_opportunities_90d,
        percentile_cont(0.5) within group (order by opportunities.days_to_close) filter (
            where opportunities.is_won
        ) as median_sales_cycle_days_90d
    from days
    inner join opportunities
        on
            days.tenant_id = opportunities.tenant_id
            and opportunities.closed_date between days.metric_date - 89 and days.metric_date
    group by 1, 2

),

final as (

    select
        -- ids
        days.tenant_id,

        -- strings
        tenants.currency,

        -- numerics
        coalesce(open_pipeline.open_opportunities, 0)::integer as open_opportunities,
        coalesce(open_pipeline.open_pipeline_amount, 0)::numeric(14, 2) as open_pipeline_amount,
        round(coalesce(open_pipeline.weighted_pipeline_amount, 0), 2)::numeric(14, 2)
            as weighted_pipeline_amount,
        coalesce(daily_activity.opportunities_created, 0)::integer as opportunities_created,
        coalesce(daily_activity.opportunities_won, 0)::integer as opportunities_won,
        coalesce(daily_activity.opportunities_lost, 0)::integer as opportunities_lost,
        coalesce(daily_activity.won_amount, 0)::numeric(14, 2) as won_amount,
        coalesce(closed_recently.closed_opportunities_90d, 0)::integer as closed_opportunities_90d,
        coalesce(closed_recently.won_opportunities_90d, 0)::integer as won_opportunities_90d,
        round(closed_recently.won_opportunities_90d::numeric / nullif(closed_recently.closed_opportunities_90d, 0), 4)
            as win_rate_90d,
        closed_recently.median_sales_cycle_days_90d::numeric(8, 1) as median_sales_cycle_days_90d,

        -- dates
        days.metric_date

    from days
    inner join tenants
        on days.tenant_id = tenants.tenant_id
    left join open_pipeline
        on
            days.tenant_id = open_pipeline.tenant_id
            and days.metric_date = open_pipeline.metric_date
    left join daily_activity
        on
            days.tenant_id = daily_activity.tenant_id
            and days.metric_date = daily_activity.metric_date
    left join closed_recently
        on
            days.tenant_id = closed_recently.tenant_id
            and days.metric_date = closed_recently.metric_date

)

select * from final
