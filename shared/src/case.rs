//! Field names between Rust's snake_case and GraphQL's camelCase: the browser converts its
//! variables and answers with them, and the server names refused fields in each transport's
//! casing.

/// `power_change_kw` → `powerChangeKw`; `window.start_utc` → `window.startUtc`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `powerChangeKw` → `power_change_kw`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_both_ways() {
        for (snake, camel) in [
            ("power_change_kw", "powerChangeKw"),
            ("window.start_utc", "window.startUtc"),
            ("id", "id"),
            ("meterable_unit_ids", "meterableUnitIds"),
        ] {
            assert_eq!(camel_case(snake), camel);
            assert_eq!(snake_case(camel), snake);
        }
    }
}
