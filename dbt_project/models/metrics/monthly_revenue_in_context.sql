-- Each tenant's monthly revenue in real terms and against its industry, per complete month, from the
-- public reference series (benchmarks.reference_observations: FRED where loaded, else the shipped
-- snapshot). Every row says which reference month it used and whether that month is stale (more
-- than `reference_stale_after_months` before the tenant's month): a stale CPI cannot remove later
-- inflation, a stale employment trend is the industry's latest known trend, not this month's.
-- The series are U.S. series: other countries get no reference values, and the note says so.
{%- set stale_after = var('reference_stale_after_months', 2) | int %}

with

months as (

    select * from {{ ref('int_tenant_months') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

observations as (

    select * from {{ ref('reference_observations') }}

),

industry_series as (

    select * from {{ ref('naics_reference_series') }}

),

series_freshness as (

    select
        series_id,
        max(series_role) as series_role,
        max(observation_date) as last_observation_date
    from observations
    group by 1

),

-- one CPI series for every month, so deflators never mix series: the freshest (FRED's once loaded)
consumer_price_series as (

    select series_id
    from series_freshness
    where series_role = 'consumer_prices'
    order by last_observation_date desc, series_id
    limit 1

),

consumer_prices as (

    select observations.observation_date, observations.value
    from observations
    inner join consumer_price_series on observations.series_id = consumer_price_series.series_id

),

price_base as (

    select max(observation_date) as price_base_month from consumer_prices

),

tenant_industry as (

    -- the freshest series that tracks the tenant's industry, then the most detailed one
    select distinct on (tenants.tenant_id)
        tenants.tenant_id,
        industry_series.series_id as industry_series_id
    from tenants
    inner join industry_series
        on coalesce(tenants.naics_code, '') like coalesce(industry_series.naics_prefix, '') || '%'
    inner join series_freshness on industry_series.series_id = series_freshness.series_id
    order by
        tenants.tenant_id,
        series_freshness.last_observation_date desc,
        length(coalesce(industry_series.naics_prefix, '')) desc,
        industry_series.series_id

),

with_references as (

    select
        months.*,
        tenants.country,
        tenant_industry.industry_series_id,
        cpi.observation_date as cpi_reference_month,
        cpi.value as cpi_value,
        cpi_year_before.value as cpi_value_year_before,
        cpi_base.value as cpi_base_value,
        price_base.price_base_month,
        industry.observation_date as industry_reference_month,
        industry.value as industry_value,
        industry.title as industry_series_title,
        industry_year_before.value as industry_value_year_before
    from months
    inner join tenants on months.tenant_id = tenants.tenant_id
    left join tenant_industry on months.tenant_id = tenant_industry.tenant_id
    cross join price_base
    left join lateral (
        select consumer_prices.observation_date, consumer_prices.value
        from consumer_prices
        where consumer_prices.observation_date <= months.metric_month and tenants.country = 'US'
        order by consumer_prices.observation_date desc
        limit 1
    ) as cpi on true
    left join consumer_prices as cpi_year_before
        on cpi_year_before.observation_date = (cpi.observation_date - interval '1 year')::date
    left join consumer_prices as cpi_base
        on cpi_base.observation_date = price_base.price_base_month and cpi.observation_date is not null
    left join lateral (
        select observations.observation_date, observations.value, observations.title
        from observations
        where
            observations.series_id = tenant_industry.industry_series_id
            and observations.observation_date <= months.metric_month
            and tenants.country = 'US'
        order by observations.observation_date desc
        limit 1
    ) as industry on true
    left join observations as industry_year_before
        on
            industry_year_before.series_id = tenant_industry.industry_series_id
            and industry_year_before.observation_date = (industry.observation_date - interval '1 year')::date

),

measured as (

    select
        *,
        (extract(year from age(metric_month, cpi_reference_month)) * 12
            + extract(month from age(metric_month, cpi_reference_month)))::integer as cpi_months_behind,
        (extract(year from age(metric_month, industry_reference_month)) * 12
            + extract(month from age(metric_month, industry_reference_month)))::integer as industry_months_behind,
        case when revenue_net_last_year > 0 then revenue_net / revenue_net_last_year - 1 end as revenue_growth_yoy,
        cpi_value / nullif(cpi_value_year_before, 0) - 1 as inflation_yoy,
        industry_value / nullif(industry_value_year_before, 0) - 1 as industry_employment_yoy
    from with_references

),

final as (

    select
        -- ids
        tenant_id,

        -- strings
        currency,
        case when cpi_reference_month is not null then (select series_id from consumer_price_series) end
            as cpi_series_id,
        case when industry_reference_month is not null then industry_series_id end as industry_series_id,
        case when industry_reference_month is not null then industry_series_title end as industry_series_title,
        concat_ws(
            ' ',
            case
                when country is distinct from 'US'
                    then 'Keel has no consumer price or industry series for ' || coalesce(country, 'an unknown country')
                        || ' yet: revenue is not deflated or compared with an industry.'
                when cpi_reference_month is null then 'No consumer price index before this month.'
                when cpi_months_behind > {{ stale_after }}
                    then 'Prices: the latest consumer price index available is of '
                        || to_char(cpi_reference_month, 'YYYY-MM') || ', ' || cpi_months_behind
                        || ' months before this month: revenue_real does not remove inflation since then,'
                        || ' and real growth uses the annual inflation of that month.'
                else 'Prices: consumer price index of ' || to_char(cpi_reference_month, 'YYYY-MM') || '.'
            end,
            case
                when country is distinct from 'US' then null
                when industry_reference_month is null then 'No industry employment series before this month.'
                when industry_months_behind > {{ stale_after }}
                    then 'Industry: the latest employment figures available for ' || industry_series_title
                        || ' are of ' || to_char(industry_reference_month, 'YYYY-MM')
                        || ', so the comparison is with the industry''s last known trend.'
                else 'Industry: employment in ' || industry_series_title || ', '
                    || to_char(industry_reference_month, 'YYYY-MM') || '.'
            end
        ) as reference_note,

        -- numerics
        revenue_net::numeric(14, 2) as revenue_net,
        (revenue_net * cpi_base_value / nullif(cpi_value, 0))::numeric(14, 2) as revenue_real,
        round(revenue_growth_yoy, 4)::numeric(12, 4) as revenue_growth_yoy,
        round(inflation_yoy, 4)::numeric(8, 4) as inflation_yoy,
        round((1 + revenue_growth_yoy) / nullif(1 + inflation_yoy, 0) - 1, 4)::numeric(12, 4)
            as real_revenue_growth_yoy,
        round(industry_employment_yoy, 4)::numeric(8, 4) as industry_employment_yoy,
        round(revenue_growth_yoy - industry_employment_yoy, 4)::numeric(12, 4) as growth_vs_industry,
        cpi_months_behind,
        industry_months_behind,

        -- booleans
        coalesce(cpi_months_behind > {{ stale_after }}, false) as cpi_is_stale,
        coalesce(industry_months_behind > {{ stale_after }}, false) as industry_is_stale,

        -- dates
        metric_month,
        cpi_reference_month,
        case when cpi_reference_month is not null then price_base_month end as price_base_month,
        industry_reference_month

    from measured

)

select * from final
