-- One row per ERPNext Bin: the stock of one item in one warehouse now (actual_qty: on the shelves),
-- as of the Bin's last change (every stock movement updates it); deleted ones kept and marked.
with

source as (

    select * from {{ keel_source('erpnext', 'bins') }}

),

deleted as (

    select * from {{ ref('stg_erpnext__deleted_documents') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        source.name as bin_id,
        source.item_code,
        hashtextextended('erpnext|' || source.item_code, 0) as inventory_item_id,
        hashtextextended('erpnext|' || source.warehouse, 0) as location_id,

        -- strings
        source.warehouse,
        source.stock_uom,

        -- numerics
        source.actual_qty::numeric as actual_quantity,
        source.projected_qty::numeric as projected_quantity,
        source.reserved_qty::numeric as reserved_quantity,
        source.ordered_qty::numeric as ordered_quantity,
        {{ to_money('source.valuation_rate') }} as valuation_rate,
        {{ to_money('source.stock_value') }} as stock_value,

        -- booleans
        exists (
            select 1 from deleted
            where
                deleted.tenant_id = source.tenant_id::uuid
                and deleted.doctype = 'Bin'
                and deleted.document_name = source.name
        ) as is_deleted,

        -- timestamps (the instant of the Bin's last change: the level holds from then on)
        source._keel_cursor_at as updated_at,
        source._keel_cursor_at

    from source

)

select * from final
