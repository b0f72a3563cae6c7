-- One row per sales invoice item (sales_invoices.items unnested); a return's items have negative
-- quantities and amounts. incoming_rate is the item's valuation rate when it left stock (unit cost).
with

source as (

    select * from {{ keel_source('erpnext', 'sales_invoices') }}

),

items as (

    select
        source.tenant_id,
        source.name as invoice_id,
        source._keel_cursor_at,
        item.invoice_item,
        item.item_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.items, '[]')::jsonb)
        with ordinality as item (invoice_item, item_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        invoice_id,
        coalesce((invoice_item ->> 'idx')::integer, item_position::integer) as line_position,
        invoice_item ->> 'item_code' as item_code,

        -- strings
        coalesce(invoice_item ->> 'item_name', invoice_item ->> 'description') as item_name,

        -- numerics
        (invoice_item ->> 'qty')::numeric as quantity,
        {{ to_money("coalesce(nullif((invoice_item ->> 'price_list_rate')::numeric, 0), (invoice_item ->> 'rate')::numeric)") }}
            as list_rate,
        {{ to_money("invoice_item ->> 'rate'") }} as rate,
        {{ to_money("invoice_item ->> 'amount'") }} as amount,
        {{ to_money("invoice_item ->> 'incoming_rate'") }} as incoming_rate,

        -- timestamps
        _keel_cursor_at

    from items

)

select * from final
