{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['tenant_id', 'source_system', 'order_id'],
        on_schema_change='append_new_columns',
        post_hook=["{{ drop_voided_erpnext_documents('order_id') }}", 'analyze {{ this }}'],
    )
}}

-- One row per order (what an order is depends on the business: docs revenue_models), with its
-- items, cost and refunds. Incremental: a run rebuilds the orders whose source record changed
-- since the last build of that tenant and source.
-- Fresh statistics (the analyze post-hook) give the models built on this one good plans.

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

order_lines as (

    select * from {{ ref('order_lines') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

changed_orders as (

    select *
    from orders
    where {{ changed_since_last_build() }}

),

line_totals as (

    select
        order_lines.tenant_id,
        order_lines.source_system,
        order_lines.order_id,
        count(*) as line_count,
        sum(order_lines.quantity) as items_quantity,
        coalesce(sum(order_lines.cost_of_goods), 0) as cost_of_goods,
        bool_and(order_lines.has_unit_cost) as has_unit_costs
    from order_lines
    inner join changed_orders
        on
            order_lines.tenant_id = changed_orders.tenant_id
            and order_lines.source_system = changed_orders.source_system
            and order_lines.order_id = changed_orders.order_id
    group by 1, 2, 3

),

refund_totals as (

    select
        refunds.tenant_id,
        refunds.source_system,
        refunds.order_id,
        sum(refunds.refunded_amount) as refunded_amount,
        sum(refunds.refunded_revenue) as refunded_revenue,
        min(refunds.refund_date) as first_refund_date
    from refunds
    inner join changed_orders
        on
            refunds.tenant_id = changed_orders.tenant_id
            and refunds.source_system = changed_orders.source_system
            and refunds.order_id = changed_orders.order_id
    group by 1, 2, 3

),

final as (

    select
        -- ids
        changed_orders.tenant_id,
        changed_orders.source_system,
        changed_orders.order_id,
        changed_orders.customer_id,

        -- strings
        changed_orders.order_kind,
        changed_orders.order_reference,
        changed_orders.currency,
        changed_orders.sales_channel,
        changed_orders.discount_code,

        -- numerics
        coalesce(line_totals.line_count, 0)::integer as line_count,
        coalesce(line_totals.items_quantity, 0)::numeric(14, 2) as items_quantity,
        changed_orders.gross_revenue,
        changed_orders.discounts,
        changed_orders.net_sales,
        changed_orders.tax,
        changed_orders.shipping,
        changed_orders.tips,
        changed_orders.total_amount,
        coalesce(line_totals.cost_of_goods, 0)::numeric(14, 2) as cost_of_goods,
        coalesce(refund_totals.refunded_amount, 0)::numeric(14, 2) as refunded_amount,
        coalesce(refund_totals.refunded_revenue, 0)::numeric(14, 2) as refunded_revenue,

        -- booleans
        changed_orders.customer_id is not null as has_customer,
        changed_orders.discounts > 0 as has_discount,
        refund_totals.order_id is not null as is_refunded,
        coalesce(line_totals.has_unit_costs, false) as has_unit_costs,

        -- dates
        changed_orders.order_date,
        refund_totals.first_refund_date,

        -- timestamps
        changed_orders.ordered_at,
        changed_orders._keel_cursor_at

    from changed_orders
    left join line_totals
        on
            changed_orders.tenant_id = line_totals.tenant_id
            and changed_orders.source_system = line_totals.source_system
            and changed_orders.order_id = line_totals.order_id
    left join refund_totals
        on
            changed_orders.tenant_id = refund_totals.tenant_id
            and changed_orders.source_system = refund_totals.source_system
            and changed_orders.order_id = refund_totals.order_id

)

select * from final
