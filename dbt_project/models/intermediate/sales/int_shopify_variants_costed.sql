{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}

-- Each Shopify variant with its inventory item and unit cost: a small table (with statistics) that
-- the order lines look their costs up in.
with

variants as (

    select * from {{ ref('stg_shopify__product_variants') }}

),

inventory_items as (

    select * from {{ ref('stg_shopify__inventory_items') }}

),

final as (

    select
        variants.tenant_id,
        variants.variant_id,
        variants.product_id,
        variants.inventory_item_id,
        inventory_items.unit_cost,
        coalesce(inventory_items.is_tracked, false) as is_tracked
    from variants
    left join inventory_items
        on
            variants.tenant_id = inventory_items.tenant_id
            and variants.inventory_item_id = inventory_items.inventory_item_id

)

select * from final
