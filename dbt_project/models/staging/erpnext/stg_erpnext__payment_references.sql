-- One row per invoice a payment entry settles (payment_entries.references unnested).
with

source as (

    select * from {{ keel_source('erpnext', 'payment_entries') }}

),

references_unnested as (

    select
        source.tenant_id,
        source.name as payment_id,
        source.docstatus,
        source.posting_date,
        source._keel_cursor_at,
        reference.payment_reference,
        reference.reference_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source."references", '[]')::jsonb)
        with ordinality as reference (payment_reference, reference_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        payment_id,
        reference_position::integer as reference_position,
        payment_reference ->> 'reference_name' as reference_id,

        -- strings
        payment_reference ->> 'reference_doctype' as reference_doctype,

        -- numerics
        {{ to_money("payment_reference ->> 'allocated_amount'") }} as allocated_amount,

        -- booleans
        docstatus = 1 as is_submitted,

        -- dates
        posting_date::date as payment_date,

        -- timestamps
        _keel_cursor_at

    from references_unnested

)

select * from final
