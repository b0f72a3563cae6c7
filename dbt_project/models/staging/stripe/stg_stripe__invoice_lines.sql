-- One row per invoice line (invoices.lines.data unnested): the subscription period it bills and its price.
with

source as (

    select * from {{ keel_source('stripe', 'invoices') }}

),

lines as (

    select
        source.tenant_id,
        source.id as invoice_id,
        source.currency,
        source._keel_cursor_at,
        item.invoice_line,
        item.line_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.lines::jsonb -> 'data', '[]'))
        with ordinality as item (invoice_line, line_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        invoice_line ->> 'id' as invoice_line_id,
        invoice_id,
        invoice_line ->> 'subscription' as subscription_id,
        invoice_line #>> '{price,id}' as price_id,

        -- strings
        invoice_line ->> 'type' as line_type,
        invoice_line ->> 'description' as description,
        invoice_line #>> '{price,lookup_key}' as price_lookup_key,
        invoice_line #>> '{price,nickname}' as price_nickname,
        invoice_line #>> '{price,recurring,interval}' as billing_interval,
        upper(coalesce(invoice_line ->> 'currency', currency)) as currency,

        -- numerics
        line_position::integer as line_position,
        coalesce((invoice_line ->> 'quantity')::integer, 1) as quantity,
        {{ cents_to_currency("(invoice_line ->> 'amount')::bigint", "coalesce(invoice_line ->> 'currency', currency)") }}
            as amount,
        -- discounts on the line (coupons, promotion codes), in the line's currency
        {{ cents_to_currency(
            "coalesce((select sum((discount ->> 'amount')::bigint) from jsonb_array_elements("
            ~ "case jsonb_typeof(invoice_line -> 'discount_amounts') when 'array' "
            ~ "then invoice_line -> 'discount_amounts' else '[]'::jsonb end) as discount), 0)",
            "coalesce(invoice_line ->> 'currency', currency)"
        ) }} as discount_amount,
        coalesce((invoice_line #>> '{price,recurring,interval_count}')::integer, 1) as billing_interval_count,

        -- booleans
        coalesce((invoice_line ->> 'proration')::boolean, false) as is_proration,

        -- timestamps
        to_timestamp((invoice_line #>> '{period,start}')::bigint) as period_started_at,
        to_timestamp((invoice_line #>> '{period,end}')::bigint) as period_ends_at,
        _keel_cursor_at

    from lines

)

select * from final
