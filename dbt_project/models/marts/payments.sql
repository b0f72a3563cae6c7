{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['tenant_id', 'source_system', 'payment_id'],
        on_schema_change='append_new_columns',
        post_hook=["{{ drop_voided_erpnext_documents('payment_id') }}", 'analyze {{ this }}'],
    )
}}

-- One row per payment received or attempted (Shopify checkouts, Stripe charges, QuickBooks
-- customer payments). Incremental on the source records' change time, per tenant and source.
-- Fresh statistics (the analyze post-hook) give the models built on this one good plans.

with

payments as (

    select * from {{ ref('int_payments_unioned') }}

),

final as (

    select *
    from payments
    where {{ changed_since_last_build() }}

)

select * from final
