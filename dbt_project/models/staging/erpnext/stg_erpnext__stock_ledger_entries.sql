-- One row per ERPNext stock movement with the quantity on hand after it (cancelled ones flagged).
with

source as (

    select * from {{ keel_source('erpnext', 'stock_ledger_entries') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        name as entry_id,
        item_code,
        hashtextextended('erpnext|' || item_code, 0) as inventory_item_id,
        hashtextextended('erpnext|' || warehouse, 0) as location_id,

        -- strings
        warehouse,

        -- numerics
        actual_qty::numeric as quantity_change,
        qty_after_transaction::numeric as quantity_after,

        -- booleans
        coalesce(is_cancelled, 0) = 1 as is_cancelled,

        -- timestamps (local wall-clock time of the posting)
        (posting_date || ' ' || coalesce(posting_time, '00:00:00'))::timestamp as posted_local,
        _keel_cursor_at

    from source

)

select * from final
