-- Ad spend per tenant, channel and day (the ad account's calendar day), summed over campaigns, with
-- the platforms' own counts. Platform-attributed conversions are inflated and noisy: they are not
-- the effect of the spend. Spend from an owner's uploaded file counts on the file's day.
with

insights as (

    select * from {{ ref('stg_ads__insights') }}

),

files_marketing_spend as (

    select * from {{ ref('stg_files__marketing_spend') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

daily as (

    select
        tenant_id,
        channel,
        insight_date as spend_date,
        max(currency) as currency,
        count(distinct campaign_id) as campaigns_count,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(platform_conversions) as platform_conversions
    from insights
    group by 1, 2, 3

),

files_daily as (

    select
        tenant_id,
        channel,
        spend_date,
        max(currency) as currency,
        count(distinct campaign) as campaigns_count,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        null::numeric as platform_conversions
    from files_marketing_spend
    group by 1, 2, 3

),

all_daily as (

    select * from daily
    union all
    select * from files_daily

),

final as (

    select
        -- ids
        daily.tenant_id,

        -- strings
        daily.channel,
        coalesce(daily.currency, tenants.currency) as currency,

        -- numerics
        daily.campaigns_count::integer as campaigns_count,
        daily.spend::numeric(14, 2) as spend,
        daily.impressions::bigint as impressions,
        daily.clicks::bigint as clicks,
        daily.platform_conversions::numeric(14, 2) as platform_conversions,
        (daily.spend / nullif(daily.clicks, 0))::numeric(14, 4) as cost_per_click,

        -- dates
        daily.spend_date

    from all_daily as daily
    inner join tenants on daily.tenant_id = tenants.tenant_id

)

select * from final
