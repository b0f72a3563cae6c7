-- One row per ERPNext item: selling rate (standard_rate), unit cost (valuation_rate), whether stock
-- is kept (deleted ones kept and marked).
with

source as (

    select * from {{ keel_source('erpnext', 'items') }}

),

deleted as (

    select * from {{ ref('stg_erpnext__deleted_documents') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        coalesce(source.item_code, source.name) as item_code,
        hashtextextended('erpnext|' || coalesce(source.item_code, source.name), 0) as inventory_item_id,

        -- strings
        coalesce(source.item_name, source.item_code, source.name) as item_name,
        source.item_group,

        -- numerics
        {{ to_money('source.standard_rate') }} as standard_rate,
        {{ to_money('source.valuation_rate') }} as valuation_rate,

        -- booleans
        coalesce(source.is_stock_item, 0) = 1 as is_stock_item,
        coalesce(source.disabled, 0) = 1 as is_disabled,
        exists (
            select 1 from deleted
            where
                deleted.tenant_id = source.tenant_id::uuid
                and deleted.doctype = 'Item'
                and deleted.document_name = source.name
        ) as is_deleted,

        -- timestamps
        source._keel_cursor_at

    from source

)

select * from final
