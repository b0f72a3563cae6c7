{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}

-- The periods each subscription was paid up for, with its monthly recurring revenue (MRR) in that
-- period: one row per billed subscription period (paid or still being collected), plus, for a
-- subscription that was running before the data begins (no trial, started before its first
-- invoice in the data), the stretch up to that first invoice at that invoice's price.
-- The monthly amount is after the line's discounts (coupons), in the line's currency (not converted).
-- Proration lines of a plan change are left out: they bill the rest of a period at the difference of
-- two prices, not a recurring price; the new price counts from the period it is billed for.
-- A table, not a view: the subscriptions mart, the monthly subscription metrics and the daily
-- subscriptions (business_metrics_daily's input) all read it, and as a view each of them parsed every
-- tenant's Stripe invoice lines again (1.3 s each on the demo).
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_lines') }}

),

billed as (

    select
        invoice_lines.tenant_id,
        invoice_lines.subscription_id,
        subscriptions.customer_id,
        invoice_lines.currency,
        invoice_lines.invoice_id as period_source_id,
        invoice_lines.period_started_at,
        invoice_lines.period_ends_at,
        -- monthly equivalent of the line's recurring price, after its discounts
        ((invoice_lines.amount - invoice_lines.discount_amount) * case invoice_lines.billing_interval
            when 'year' then 1.0 / 12
            when 'week' then 52.0 / 12
            when 'day' then 365.0 / 12
            else 1.0
        end / invoice_lines.billing_interval_count) as monthly_amount
    from invoice_lines
    inner join invoices
        on
            invoice_lines.tenant_id = invoices.tenant_id
            and invoice_lines.invoice_id = invoices.invoice_id
    left join subscriptions
        on
            invoice_lines.tenant_id = subscriptions.tenant_id
            and invoice_lines.subscription_id = subscriptions.subscription_id
    where
        invoice_lines.line_type = 'subscription'
        and not invoice_lines.is_proration
        and invoice_lines.subscription_id is not null
        and invoices.invoice_status in ('paid', 'open')

),

first_billed as (

    select distinct on (tenant_id, subscription_id)
        tenant_id,
        subscription_id,
        currency,
        period_started_at,
        monthly_amount
    from billed
    order by tenant_id, subscription_id, period_started_at

),

running_before_data as (

    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        subscriptions.customer_id,
        coalesce(first_billed.currency, subscriptions.currency) as currency,
        'before_first_invoice' as period_source_id,
        subscriptions.started_at as period_started_at,
        coalesce(
            first_billed.period_started_at,
            subscriptions.ended_at,
            subscriptions.current_period_ends_at
        ) as period_ends_at,
        coalesce(
            first_billed.monthly_amount,
            subscriptions.unit_amount * subscriptions.quantity
        ) as monthly_amount
    from subscriptions
    left join first_billed
        on
            subscriptions.tenant_id = first_billed.tenant_id
            and subscriptions.subscription_id = first_billed.subscription_id
    where
        subscriptions.trial_ended_at is null
        and subscriptions.subscription_status <> 'incomplete'
        and subscriptions.started_at < coalesce(
            first_billed.period_started_at,
            subscriptions.ended_at,
            subscriptions.current_period_ends_at
        )

),

unioned as (

    select * from billed
    union all
    select * from running_before_data

),

final as (

    select
        -- ids
        unioned.tenant_id,
        unioned.subscription_id,
        unioned.customer_id,
        unioned.period_source_id,

        -- strings
        coalesce(unioned.currency, tenants.currency) as currency,

        -- numerics
        unioned.monthly_amount::numeric(14, 2) as monthly_amount,

        -- dates (the period covers start date up to, not including, end date)
        {{ local_date('unioned.period_started_at', 'tenants.timezone') }} as period_start_date,
        {{ local_date('unioned.period_ends_at', 'tenants.timezone') }} as period_end_date

    from unioned
    inner join tenants on unioned.tenant_id = tenants.tenant_id

)

select * from final
