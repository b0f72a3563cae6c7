-- Subscription figures per calendar month: one row per tenant with subscriptions, month (every month of
-- business_metrics_monthly) and currency its subscriptions bill in (amounts are not converted).
--
-- Each customer's MRR (the monthly equivalent of its paid subscription periods, int_subscription_periods:
-- annual plans / 12, after discounts, trials and unpaid periods at 0) is taken at the start of the month
-- (the end of the month before) and at its end (the month's last day with data). Comparing the two per
-- customer splits the change of MRR (ChartMogul's and Stripe's movements):
--   new           0 -> positive, first paid period in this month;
--   reactivation  0 -> positive, paid before;
--   expansion     up; contraction down but still paying; churned positive -> 0.
-- So mrr = start_mrr + new + reactivation + expansion - contraction - churned, exactly. A customer who
-- starts and leaves within one month counts in none. A cancellation at period end counts when the paid
-- period ends, a plan change when the new price is first billed.
with

months as (

    select * from {{ ref('business_metrics_monthly') }}

),

periods as (

    select
        *,
        coalesce(customer_id, 'subscription ' || subscription_id) as subscriber_key
    from {{ ref('int_subscription_periods') }}

),

currencies as (

    select distinct tenant_id, currency from periods

),

first_paid as (

    select
        tenant_id,
        currency,
        subscriber_key,
        min(period_start_date) as first_paid_date
    from periods
    where monthly_amount > 0
    group by 1, 2, 3

),

points as (

    select tenant_id, month, (month - 1) as point_date, 'start' as point from months
    union all
    select tenant_id, month, last_date, 'end' from months

),

subscriber_months as (

    select
        points.tenant_id,
        points.month,
        periods.currency,
        periods.subscriber_key,
        coalesce(sum(periods.monthly_amount) filter (where points.point = 'start'), 0) as start_mrr,
        coalesce(sum(periods.monthly_amount) filter (where points.point = 'end'), 0) as end_mrr
    from points
    inner join periods
        on
            points.tenant_id = periods.tenant_id
            and periods.period_start_date <= points.point_date
            and points.point_date < periods.period_end_date
    group by 1, 2, 3, 4

),

movements as (

    select
        subscriber_months.*,
        case
            when subscriber_months.start_mrr <= 0 and subscriber_months.end_mrr > 0
                then
                    case
                        when first_paid.first_paid_date >= subscriber_months.month then 'new'
                        else 'reactivation'
                    end
            when subscriber_months.start_mrr > 0 and subscriber_months.end_mrr <= 0 then 'churned'
            when subscriber_months.start_mrr > 0 and subscriber_months.end_mrr > subscriber_months.start_mrr
                then 'expansion'
            when subscriber_months.start_mrr > 0 and subscriber_months.end_mrr < subscriber_months.start_mrr
                then 'contraction'
        end as movement
    from subscriber_months
    left join first_paid
        on
            subscriber_months.tenant_id = first_paid.tenant_id
            and subscriber_months.currency = first_paid.currency
            and subscriber_months.subscriber_key = first_paid.subscriber_key

),

summed as (

    select
        tenant_id,
        month,
        currency,
        sum(greatest(end_mrr, 0)) as mrr,
        sum(greatest(start_mrr, 0)) as start_mrr,
        coalesce(sum(end_mrr) filter (where movement = 'new'), 0) as new_mrr,
        coalesce(sum(end_mrr - start_mrr) filter (where movement = 'expansion'), 0) as expansion_mrr,
        coalesce(sum(start_mrr - end_mrr) filter (where movement = 'contraction'), 0) as contraction_mrr,
        coalesce(sum(start_mrr) filter (where movement = 'churned'), 0) as churned_mrr,
        coalesce(sum(end_mrr) filter (where movement = 'reactivation'), 0) as reactivation_mrr,
        count(*) filter (where end_mrr > 0) as subscribers,
        count(*) filter (where start_mrr > 0) as start_subscribers,
        count(*) filter (where movement = 'new') as new_subscribers,
        count(*) filter (where movement = 'churned') as churned_subscribers,
        count(*) filter (where movement = 'reactivation') as reactivated_subscribers
    from movements
    group by 1, 2, 3

),

final as (

    select
        -- ids
        months.tenant_id,

        -- strings
        currencies.currency,

        -- numerics
        coalesce(summed.mrr, 0)::numeric(14, 2) as mrr,
        coalesce(summed.start_mrr, 0)::numeric(14, 2) as start_mrr,
        coalesce(summed.new_mrr, 0)::numeric(14, 2) as new_mrr,
        coalesce(summed.expansion_mrr, 0)::numeric(14, 2) as expansion_mrr,
        coalesce(summed.contraction_mrr, 0)::numeric(14, 2) as contraction_mrr,
        coalesce(summed.churned_mrr, 0)::numeric(14, 2) as churned_mrr,
        coalesce(summed.reactivation_mrr, 0)::numeric(14, 2) as reactivation_mrr,
        (coalesce(summed.mrr, 0) - coalesce(summed.start_mrr, 0))::numeric(14, 2) as net_new_mrr,
        coalesce(summed.subscribers, 0)::integer as subscribers,
        coalesce(summed.start_subscribers, 0)::integer as start_subscribers,
        coalesce(summed.new_subscribers, 0)::integer as new_subscribers,
        coalesce(summed.churned_subscribers, 0)::integer as churned_subscribers,
        coalesce(summed.reactivated_subscribers, 0)::integer as reactivated_subscribers,
        round(summed.churned_subscribers::numeric / nullif(summed.start_subscribers, 0), 4)::numeric(9, 4)
            as churn_rate,
        round((summed.churned_mrr + summed.contraction_mrr) / nullif(summed.start_mrr, 0), 4)::numeric(9, 4)
            as revenue_churn_rate,
        round(
            (summed.start_mrr + summed.expansion_mrr - summed.contraction_mrr - summed.churned_mrr)
            / nullif(summed.start_mrr, 0),
            4
        )::numeric(9, 4) as net_revenue_retention,
        round(coalesce(summed.mrr, 0) / nullif(summed.start_mrr, 0) - 1, 4)::numeric(12, 4) as mrr_growth_mom,

        -- booleans
        months.is_complete_month,

        -- dates
        months.month

    from months
    inner join currencies on months.tenant_id = currencies.tenant_id
    left join summed
        on
            months.tenant_id = summed.tenant_id
            and months.month = summed.month
            and currencies.currency = summed.currency

)

select * from final
