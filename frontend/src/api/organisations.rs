//! FSP companies and network operators: the operations in `frontend/graphql/organisations/`.

use super::{NoVariables, graphql};
use serde::Deserialize;
use shared::{Company, DeliveryChannel, NewCompanyInput, OperatorSummary, SupportContact};

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

operation! {
    /// Sets how an FSP company may receive dispatches.
    pub fn set_permitted_delivery(company_id: &str, channels: &[DeliveryChannel]) -> ()
        = include_str!("../../graphql/organisations/SetPermittedDelivery.graphql")
}

operation! {
    /// The support contacts of the operators the caller deals with.
    pub fn support_contacts() -> Vec<SupportContact>
        = include_str!("../../graphql/organisations/SupportContacts.graphql")
}

operation! {
    /// Sets the calling operator's support contact.
    pub fn set_support_contact(name: &str, email: &str) -> ()
        = include_str!("../../graphql/organisations/SetSupportContact.graphql")
}
