-- Active paid subscriptions and monthly recurring revenue (MRR) at the end of each day, dense over
-- the date spine: a subscription counts on the days of a period it was billed for (from the end of
-- its trial to the end of its last period). NULL for tenants without subscriptions.
with

tenant_days as (

    select * from {{ ref('int_tenant_days') }}

),

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

tenant_starts as (

    select distinct
        tenant_id,
        first_metric_date
    from tenant_days

),

-- a period that began before the spine opens on its first day
changes as (

    select
        periods.tenant_id,
        greatest(periods.period_start_date, tenant_starts.first_metric_date) as change_date,
        periods.monthly_amount as mrr_change,
        1 as subscriptions_change
    from periods
    inner join tenant_starts on periods.tenant_id = tenant_starts.tenant_id
    where periods.period_end_date > tenant_starts.first_metric_date

    union all

    select
        periods.tenant_id,
        periods.period_end_date,
        -periods.monthly_amount,
        -1
    from periods
    inner join tenant_starts on periods.tenant_id = tenant_starts.tenant_id
    where periods.period_end_date > tenant_starts.first_metric_date

),

changes_by_day as (

    select
        tenant_id,
        change_date,
        sum(mrr_change) as mrr_change,
        sum(subscriptions_change) as subscriptions_change
    from changes
    group by 1, 2

),

tenants_with_subscriptions as (

    select distinct tenant_id from periods

),

final as (

    select
        tenant_days.tenant_id,
        tenant_days.metric_date,
        sum(coalesce(changes_by_day.subscriptions_change, 0)) over (
            partition by tenant_days.tenant_id order by tenant_days.metric_date
        )::integer as active_subscriptions,
        sum(coalesce(changes_by_day.mrr_change, 0)) over (
            partition by tenant_days.tenant_id order by tenant_days.metric_date
        )::numeric(14, 2) as mrr
    from tenant_days
    inner join tenants_with_subscriptions on tenant_days.tenant_id = tenants_with_subscriptions.tenant_id
    left join changes_by_day
        on
            tenant_days.tenant_id = changes_by_day.tenant_id
            and tenant_days.metric_date = changes_by_day.change_date

)

select * from final
