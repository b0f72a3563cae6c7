-- One row per thing a business sells: Shopify variants (the sellable unit, with its unit cost and
-- whether its stock is tracked), salon services, subscription plans (Stripe prices) and QuickBooks
-- service items. Services and plans carry no unit cost: the sources do not know one.
with

shopify_variants as (

    select * from {{ ref('stg_shopify__product_variants') }}

),

shopify_products as (

    select * from {{ ref('stg_shopify__products') }}

),

shopify_inventory_items as (

    select * from {{ ref('stg_shopify__inventory_items') }}

),

order_lines as (

    select * from {{ ref('order_lines') }}

),

files_products as (

    select * from {{ ref('stg_files__products') }}

),

erpnext_items as (

    select * from {{ ref('stg_erpnext__items') }}

),

sold as (

    select
        tenant_id,
        source_system,
        product_id,
        sku,
        product_name,
        unit_price,
        order_date,
        row_number() over (
            partition by tenant_id, source_system, product_id
            order by order_date desc, order_line_id desc
        ) as recency
    from order_lines

),

shopify as (

    select
        shopify_variants.tenant_id,
        'shopify' as source_system,
        shopify_variants.variant_id::text as product_id,
        shopify_variants.sku,
        case
            when shopify_variants.variant_title is null or shopify_variants.variant_title = 'Default Title'
                then shopify_products.product_title
            else shopify_products.product_title || ' - ' || shopify_variants.variant_title
        end as product_name,
        'physical' as product_kind,
        shopify_products.product_type as product_category,
        shopify_products.product_status,
        shopify_variants.inventory_item_id,
        shopify_variants.price as current_price,
        shopify_inventory_items.unit_cost,
        coalesce(shopify_inventory_items.is_tracked, false) as is_inventory_tracked
    from shopify_variants
    left join shopify_products
        on
            shopify_variants.tenant_id = shopify_products.tenant_id
            and shopify_variants.product_id = shopify_products.product_id
    left join shopify_inventory_items
        on
            shopify_variants.tenant_id = shopify_inventory_items.tenant_id
            and shopify_variants.inventory_item_id = shopify_inventory_items.inventory_item_id

),

-- services, plans and invoice items are known from what was sold: latest price charged
others as (

    select
        tenant_id,
        source_system,
        product_id,
        sku,
        product_name,
        case
            when source_system = 'stripe' and product_id like 'price\_%' then 'subscription_plan'
            else 'service'
        end as product_kind,
        null::text as product_category,
        'active' as product_status,
        null::bigint as inventory_item_id,
        unit_price as current_price,
        null::numeric(14, 2) as unit_cost,
        false as is_inventory_tracked
    from sold
    where
        recency = 1 and source_system not in ('shopify', 'erpnext')
        and not exists (
            select 1 from files_products
            where
                sold.source_system = 'files'
                and files_products.tenant_id = sold.tenant_id
                and files_products.product_id = sold.product_id
        )

),

-- an owner's uploaded product list: what they sell, at what price, and what it costs them
files as (

    select
        tenant_id,
        'files' as source_system,
        product_id,
        product_id as sku,
        product_name,
        'physical' as product_kind,
        category as product_category,
        'active' as product_status,
        null::bigint as inventory_item_id,
        price as current_price,
        unit_cost,
        false as is_inventory_tracked
    from files_products

),

-- ERPNext items: stock items are physical and tracked; the selling rate is the item's standard rate,
-- the unit cost its valuation rate
erpnext as (

    select
        tenant_id,
        'erpnext' as source_system,
        item_code as product_id,
        item_code as sku,
        item_name as product_name,
        case when is_stock_item then 'physical' else 'service' end as product_kind,
        item_group as product_category,
        case when is_disabled then 'archived' else 'active' end as product_status,
        inventory_item_id,
        standard_rate as current_price,
        valuation_rate as unit_cost,
        is_stock_item as is_inventory_tracked
    from erpnext_items
    where not is_deleted

),

unioned as (

    select * from shopify
    union all
    select * from erpnext
    union all
    select * from others
    union all
    select * from files

),

final as (

    select
        -- ids
        tenant_id,
        source_system,
        product_id,
        inventory_item_id,

        -- strings
        sku,
        product_name,
        product_kind,
        product_category,
        product_status,

        -- numerics
        current_price::numeric(14, 2) as current_price,
        unit_cost::numeric(14, 2) as unit_cost,
        (current_price - unit_cost)::numeric(14, 2) as unit_margin,

        -- booleans
        is_inventory_tracked

    from unioned

)

select * from final
