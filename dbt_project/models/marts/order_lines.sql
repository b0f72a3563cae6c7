{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['tenant_id', 'source_system', 'order_line_id'],
        on_schema_change='append_new_columns',
        post_hook=["{{ drop_voided_erpnext_documents('order_id') }}", 'analyze {{ this }}'],
    )
}}

-- Incremental: a run takes the lines of orders whose source record changed since the last build of
-- that tenant and source (refunds change an order, so its lines are rebuilt with it).
-- Fresh statistics (the analyze post-hook) give the models built on this one good plans.

with

order_lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

final as (

    select *
    from order_lines
    where {{ changed_since_last_build() }}

)

select * from final
