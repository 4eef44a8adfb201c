//! Operators, zones, programmes, FSP companies, dispatch groups, meterable units,
//! marketplace units and prices.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn public_id() -> ColumnDef {
    char_len_uniq("public_id", 20)
}

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for c in columns {
        stmt.col(*c);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("operators")
                .col(pk_auto("id"))
                .col(public_id())
                .col(string_uniq("name"))
                .col(created_at())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("zones")
                .col(pk_auto("id"))
                .col(string_len_uniq("slug", 64))
                .col(integer("operator_id"))
                .col(string("name"))
                .col(boolean("sandbox"))
                .col(created_at())
                .foreign_key(&mut fk("zones", "operator_id", "operators"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("zones", &["operator_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("programmes")
                .col(pk_auto("id"))
                .col(public_id())
                .col(integer("zone_id"))
                .col(string_len("kind", 32))
                .col(boolean("auction"))
                .col(string("name"))
                .col(string_len_null("product_code", 8))
                .col(created_at())
                .foreign_key(&mut fk("programmes", "zone_id", "zones"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("programmes", &["zone_id", "kind", "auction"], true))
            .await?;

        m.create_table(
            Table::create()
                .table("fsp_companies")
                .col(pk_auto("id"))
                .col(public_id())
                .col(string_uniq("name"))
                .col(string_len("companies_house_number", 8))
                .col(string_len_null("vat_number", 16))
                .col(text("billing_address"))
                .col(created_at())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("dispatch_groups")
                .col(pk_auto("id"))
                .col(public_id())
                .col(integer("zone_id"))
                .col(integer("company_id"))
                .col(string("name"))
                .col(double("power_change_kw"))
                .col(string_len("direction", 16))
                .col(integer_null("min_runtime_minutes"))
                .col(integer_null("max_runtime_minutes"))
                .col(integer_null("weekly_runtime_minutes"))
                .col(created_at())
                .foreign_key(&mut fk("dispatch_groups", "zone_id", "zones"))
                .foreign_key(&mut fk("dispatch_groups", "company_id", "fsp_companies"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("dispatch_groups", &["zone_id", "name"], true))
            .await?;
        m.create_index(index("dispatch_groups", &["company_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("meterable_units")
                .col(pk_auto("id"))
                .col(public_id())
                .col(integer("dispatch_group_id"))
                .col(string("name"))
                .col(string_len("metering_granularity", 16))
                .col(string_len("baseline_method", 16))
                .col(double_null("baseline_static_kw"))
                .col(created_at())
                .foreign_key(&mut fk(
                    "meterable_units",
                    "dispatch_group_id",
                    "dispatch_groups",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("meterable_units", &["dispatch_group_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("marketplace_units")
                .col(pk_auto("id"))
                .col(integer("dispatch_group_id"))
                .col(string("marketplace"))
                .col(string("reference"))
                .col(created_at())
                .foreign_key(&mut fk(
                    "marketplace_units",
                    "dispatch_group_id",
                    "dispatch_groups",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "marketplace_units",
            &["dispatch_group_id", "marketplace", "reference"],
            true,
        ))
        .await?;

        // Money is kept in whole pence so that sums are exact on both databases.
        m.create_table(
            Table::create()
                .table("prices")
                .col(pk_auto("id"))
                .col(integer("dispatch_group_id"))
                .col(integer("programme_id"))
                .col(big_integer_null("availability_price_pence"))
                .col(big_integer_null("utilisation_price_pence"))
                .col(big_integer_null("unit_ceiling_pence"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("prices", "dispatch_group_id", "dispatch_groups"))
                .foreign_key(&mut fk("prices", "programme_id", "programmes"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "prices",
            &["dispatch_group_id", "programme_id"],
            true,
        ))
        .await?;
        Ok(())
    }
}
