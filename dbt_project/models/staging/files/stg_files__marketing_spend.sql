-- Marketing spend from owners' uploaded files, one row per (tenant, spend_date, channel, campaign), typed.
with

source as (

    select * from {{ keel_source('files', 'marketing_spend') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        channel,
        campaign,

        -- strings
        currency,
        _file_name as file_name,

        -- numerics
        {{ to_money('spend') }} as spend,
        impressions::numeric as impressions,
        clicks::numeric as clicks,
        _row_number::integer as file_row_number,

        -- dates
        spend_date::date as spend_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
