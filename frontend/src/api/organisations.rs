//! FSP companies and network operators: the operations in `frontend/graphql/organisations/`.

use super::{NoVariables, graphql};
use serde::Deserialize;
use shared::{Company, NewCompanyInput, OperatorSummary};

/// The companies and operators the caller may see, in one round trip.
#[derive(Debug, Clone, Deserialize)]
pub struct Organisations {
    pub companies: Vec<Company>,
    pub operators: Vec<OperatorSummary>,
}

pub async fn organisations() -> Result<Organisations, String> {
    graphql(
        include_str!("../../graphql/organisations/Organisations.graphql"),
        &NoVariables {},
    )
    .await
}

operation! {
    /// Registers an FSP company.
    pub fn create_company(input: &NewCompanyInput) -> ()
        = include_str!("../../graphql/organisations/CreateCompany.graphql")
}

operation! {
    /// Registers a network operator.
    pub fn create_operator(name: &str) -> ()
        = include_str!("../../graphql/organisations/CreateOperator.graphql")
}
