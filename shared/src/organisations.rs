//! FSP companies and network operators.

use serde::{Deserialize, Serialize};

/// A Companies House registration number: eight digits, or two letters (SC, NI, OC, …)
/// and six digits. Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompaniesHouseNumber(String);

impl CompaniesHouseNumber {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_ascii_uppercase();
        let bytes = s.as_bytes();
        let ok = bytes.len() == 8
            && (bytes.iter().all(u8::is_ascii_digit)
                || (bytes[..2].iter().all(u8::is_ascii_uppercase)
                    && bytes[2..].iter().all(u8::is_ascii_digit)));
        if ok {
            Ok(Self(s))
        } else {
            Err("must be 8 digits, or 2 letters and 6 digits (e.g. 12345678 or SC123456)")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A UK VAT registration number: GB and 9 or 12 digits, or GBGD/GBHA and 3 digits.
/// Spaces are ignored; stored without them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let ok = match s.strip_prefix("GB") {
            Some(rest) if rest.starts_with("GD") || rest.starts_with("HA") => digits(&rest[2..], 3),
            Some(rest) => digits(rest, 9) || digits(rest, 12),
            None => false,
        };
        if ok {
            Ok(Self(s))
        } else {
            Err("must be GB followed by 9 or 12 digits (e.g. GB123456789)")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Flexibility Service Provider company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Company {
    pub id: crate::PublicId,
    pub name: String,
    /// Companies House registration number.
    pub companies_house_number: String,
    pub vat_number: Option<String>,
    pub billing_address: String,
    /// How the operator permits the company to receive dispatches; the company chooses
    /// among these on Dispatch Settings (guide §3.1).
    pub permitted_delivery: Vec<crate::DeliveryChannel>,
}

/// A new FSP company (guide §2.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(async_graphql::InputObject))]
pub struct NewCompanyInput {
    pub name: String,
    pub companies_house_number: String,
    pub vat_number: String,
    pub billing_address: String,
    /// Platform admins only: the operator the company is contracted with. Operators
    /// always contract it with themselves.
    pub operator: Option<String>,
}

/// A network operator (DNO).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct OperatorSummary {
    pub id: crate::PublicId,
    pub name: String,
}

/// Where an operator's FSPs get help (the guide's "Contact").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct SupportContact {
    /// The operator.
    pub operator: String,
    /// The team to contact, e.g. "Flexibility Services Operations"; none until set.
    pub name: Option<String>,
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_house_numbers() {
        assert!(CompaniesHouseNumber::parse("12345678").is_ok());
        assert_eq!(
            CompaniesHouseNumber::parse("sc123456").map(|n| n.as_str().to_owned()),
            Ok("SC123456".to_owned())
        );
        assert!(CompaniesHouseNumber::parse("1234567").is_err());
        assert!(CompaniesHouseNumber::parse("S1234567").is_err());
    }

    #[test]
    fn vat_numbers() {
        assert_eq!(
            VatNumber::parse("GB 123 4567 89").map(|n| n.as_str().to_owned()),
            Ok("GB123456789".to_owned())
        );
        assert!(VatNumber::parse("GB123456789012").is_ok());
        assert!(VatNumber::parse("GBGD123").is_ok());
        assert!(VatNumber::parse("123456789").is_err());
        assert!(VatNumber::parse("GB12345678").is_err());
    }
}
