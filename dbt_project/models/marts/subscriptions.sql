-- One row per subscription in its latest state: plan, trial, when it was first paid for, whether it
-- has ended, and its current monthly recurring revenue.
with

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

period_totals as (

    select
        tenant_id,
        subscription_id,
        count(*) filter (where period_source_id <> 'before_first_invoice') as billed_periods,
        min(period_start_date) as first_paid_date,
        max(period_end_date) as paid_through_date,
        (array_agg(monthly_amount order by period_start_date desc))[1] as latest_monthly_amount
    from periods
    group by 1, 2

),

final as (

    select
        -- ids
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.price_id,

        -- strings
        subscriptions.subscription_status,
        subscriptions.plan_code,
        subscriptions.plan_name,
        subscriptions.billing_interval,
        coalesce(subscriptions.currency, tenants.currency) as currency,

        -- numerics
        subscriptions.unit_amount,
        coalesce(period_totals.billed_periods, 0)::integer as billed_periods,
        case
            when subscriptions.subscription_status in ('active', 'past_due')
                then coalesce(period_totals.latest_monthly_amount, 0)
            else 0
        end::numeric(14, 2) as current_mrr,

        -- booleans
        subscriptions.trial_started_at is not null as had_trial,
        period_totals.first_paid_date is not null as is_converted,
        subscriptions.is_cancel_at_period_end,
        subscriptions.ended_at is not null as has_ended,

        -- dates
        {{ local_date('subscriptions.started_at', 'tenants.timezone') }} as start_date,
        {{ local_date('subscriptions.trial_ended_at', 'tenants.timezone') }} as trial_end_date,
        period_totals.first_paid_date,
        period_totals.paid_through_date,
        {{ local_date('subscriptions.canceled_at', 'tenants.timezone') }} as canceled_date,
        {{ local_date('subscriptions.ended_at', 'tenants.timezone') }} as ended_date,

        -- timestamps
        subscriptions.started_at,
        subscriptions.ended_at,
        subscriptions._keel_cursor_at

    from subscriptions
    inner join tenants on subscriptions.tenant_id = tenants.tenant_id
    left join period_totals
        on
            subscriptions.tenant_id = period_totals.tenant_id
            and subscriptions.subscription_id = period_totals.subscription_id

)

select * from final
