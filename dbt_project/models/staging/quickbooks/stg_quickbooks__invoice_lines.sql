-- One row per invoice line (invoices.Line unnested): sales items, discounts and the subtotal line.
with

source as (

    select * from {{ keel_source('quickbooks', 'invoices') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

lines as (

    select
        source.tenant_id,
        source.id as invoice_id,
        source._keel_cursor_at,
        item.invoice_line,
        item.line_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.line, '[]')::jsonb)
        with ordinality as item (invoice_line, line_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        invoice_id,
        line_position::integer as line_position,
        invoice_line #>> '{SalesItemLineDetail,ItemRef,value}' as item_id,

        -- strings
        invoice_line ->> 'Id' as line_id,
        invoice_line ->> 'DetailType' as detail_type,
        invoice_line ->> 'Description' as description,
        invoice_line #>> '{SalesItemLineDetail,ItemRef,name}' as item_name,

        -- numerics
        {{ to_money("invoice_line ->> 'Amount'") }} as amount,
        (invoice_line #>> '{SalesItemLineDetail,Qty}')::numeric as quantity,
        {{ to_money("invoice_line #>> '{SalesItemLineDetail,UnitPrice}'") }} as unit_price,

        -- timestamps
        _keel_cursor_at

    from lines

)

select * from final
