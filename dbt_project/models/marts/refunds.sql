{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['tenant_id', 'source_system', 'refund_id'],
        on_schema_change='append_new_columns',
        post_hook=["{{ drop_voided_erpnext_documents('refund_id') }}", 'analyze {{ this }}'],
    )
}}

-- One row per refund of an order: the money returned (cash out) and the revenue it takes back,
-- on the day it was made. Incremental on the source records' change time, per tenant and source.
-- Fresh statistics (the analyze post-hook) give the models built on this one good plans.

with

refunds as (

    select * from {{ ref('int_refunds_unioned') }}

),

final as (

    select *
    from refunds
    where {{ changed_since_last_build() }}

)

select * from final
