-- Daily campaign insights; the day is the ad account's own calendar day.
with

source as (

    select * from {{ keel_source('ads', 'insights') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        account_id,
        campaign_id,

        -- strings
        campaign_name,
        channel,
        upper(account_currency) as currency,

        -- numerics
        {{ to_money("coalesce(nullif(spend, ''), '0')") }} as spend,
        coalesce(nullif(impressions, '')::numeric, 0)::bigint as impressions,
        coalesce(nullif(clicks, '')::numeric, 0)::bigint as clicks,
        -- attributed by the platform: inflated and noisy, not the true effect of the spend
        coalesce(nullif(conversions, '')::numeric, 0)::numeric(14, 2) as platform_conversions,

        -- dates
        date_start::date as insight_date,
        date_stop::date as insight_end_date,

        -- timestamps
        _keel_cursor_at

    from source

)

select * from final
