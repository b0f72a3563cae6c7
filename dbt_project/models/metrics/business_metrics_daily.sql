{#-
    metrics.business_metrics_daily: one row per tenant and day. Migration 0005 creates the table
    (monthly partitions or a hypertable, with row-level security); dbt only deletes and inserts rows,
    never replaces it (full_refresh: false), and fails rather than change its columns.

    Window: vars min_date / max_date when given (a backfill: `dbt build --vars`, or the Dagster run
    config first_day / last_day of orchestration/defs/dbt/assets.py), else on an incremental
    run the last `metrics_lookback_days` days of each tenant's built history (refunds, invoice
    payments and corrected timecards change days already built), else everything.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['tenant_id', 'metric_date'],
        full_refresh=false,
        on_schema_change='fail',
    )
}}

{%- set min_date = var('min_date', none) -%}
{%- set max_date = var('max_date', none) -%}
{%- for name, value in [('min_date', min_date), ('max_date', max_date)] -%}
    {%- if value is not none and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date written YYYY-MM-DD, got " ~ value) }}
    {%- endif -%}
{%- endfor %}

with

tenant_days as (

    select * from {{ ref('int_tenant_days') }}

),

sales as (

    select * from {{ ref('int_sales_daily') }}

),

customers as (

    select * from {{ ref('int_customers_daily') }}

),

cash as (

    select * from {{ ref('int_cash_daily') }}

),

balances as (

    select * from {{ ref('int_balances_daily') }}

),

operations as (

    select * from {{ ref('int_operations_daily') }}

),

subscriptions as (

    select * from {{ ref('int_subscriptions_daily') }}

),

{% if is_incremental() and min_date is none and max_date is none %}
built_through as (

    select
        tenant_id,
        max(metric_date) as last_built_date
    from {{ this }}
    group by 1

),
{% endif %}

window_days as (

    select tenant_days.*
    from tenant_days
    {% if min_date is not none or max_date is not none %}
    where
        true
        {% if min_date is not none %}and tenant_days.metric_date >= '{{ min_date }}'::date{% endif %}
        {% if max_date is not none %}and tenant_days.metric_date <= '{{ max_date }}'::date{% endif %}
    {% elif is_incremental() %}
    left join built_through on tenant_days.tenant_id = built_through.tenant_id
    where
        built_through.last_built_date is null
        or tenant_days.metric_date
        >= built_through.last_built_date - {{ var('metrics_lookback_days') | int }}
    {% endif %}

),

joined as (

    select
        window_days.tenant_id,
        window_days.metric_date,
        window_days.currency,
        coalesce(sales.revenue_gross, 0) as revenue_gross,
        coalesce(sales.discounts, 0) as discounts,
        coalesce(sales.refunds, 0) as refunds,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.cogs, 0) as cogs,
        coalesce(customers.new_customers, 0) as new_customers,
        coalesce(customers.returning_customers, 0) as returning_customers,
        coalesce(cash.cash_in, 0) as cash_in,
        coalesce(cash.cash_out, 0) as cash_out,
        balances.receivables_outstanding,
        balances.payables_outstanding,
        coalesce(operations.labor_hours, 0) as labor_hours,
        coalesce(operations.labor_cost, 0) as labor_cost,
        coalesce(operations.marketing_spend_total, 0) as marketing_spend_total,
        coalesce(operations.marketing_spend_by_channel, '{}'::jsonb) as marketing_spend_by_channel,
        coalesce(operations.stockout_product_days, 0) as stockout_product_days,
        subscriptions.active_subscriptions,
        subscriptions.mrr
    from window_days
    left join sales
        on window_days.tenant_id = sales.tenant_id and window_days.metric_date = sales.metric_date
    left join customers
        on window_days.tenant_id = customers.tenant_id and window_days.metric_date = customers.metric_date
    left join cash
        on window_days.tenant_id = cash.tenant_id and window_days.metric_date = cash.metric_date
    left join balances
        on window_days.tenant_id = balances.tenant_id and window_days.metric_date = balances.metric_date
    left join operations
        on window_days.tenant_id = operations.tenant_id and window_days.metric_date = operations.metric_date
    left join subscriptions
        on
            window_days.tenant_id = subscriptions.tenant_id
            and window_days.metric_date = subscriptions.metric_date

),

derived as (

    select
        joined.*,
        joined.revenue_gross - joined.discounts - joined.refunds as revenue_net,
        joined.revenue_gross - joined.discounts - joined.refunds - joined.cogs as gross_margin
    from joined

),

final as (

    select
        tenant_id::uuid as tenant_id,
        metric_date::date as metric_date,
        currency::text as currency,
        revenue_gross::numeric(14, 2) as revenue_gross,
        discounts::numeric(14, 2) as discounts,
        refunds::numeric(14, 2) as refunds,
        revenue_net::numeric(14, 2) as revenue_net,
        orders::integer as orders,
        (case when orders > 0 then (revenue_gross - discounts) / orders end)::numeric(14, 2)
            as average_order_value,
        cogs::numeric(14, 2) as cogs,
        gross_margin::numeric(14, 2) as gross_margin,
        -- a fraction (0.6 = 60 %); meaningless, hence NULL, unless net revenue is positive
        (case
            when revenue_net > 0 and abs(gross_margin) < 99999 * revenue_net
                then round(gross_margin / revenue_net, 4)
        end)::numeric(9, 4) as gross_margin_pct,
        new_customers::integer as new_customers,
        returning_customers::integer as returning_customers,
        cash_in::numeric(14, 2) as cash_in,
        cash_out::numeric(14, 2) as cash_out,
        receivables_outstanding::numeric(14, 2) as receivables_outstanding,
        payables_outstanding::numeric(14, 2) as payables_outstanding,
        labor_hours::numeric(10, 2) as labor_hours,
        labor_cost::numeric(14, 2) as labor_cost,
        marketing_spend_total::numeric(14, 2) as marketing_spend_total,
        marketing_spend_by_channel::jsonb as marketing_spend_by_channel,
        stockout_product_days::integer as stockout_product_days,
        active_subscriptions::integer as active_subscriptions,
        mrr::numeric(14, 2) as mrr,
        '{{ invocation_id }}'::text as dbt_invocation_id,
        now()::timestamptz as built_at
    from derived

)

select * from final
