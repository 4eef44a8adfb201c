//! What FSP participants may not do (guide §3.2): the operator performs these on their
//! behalf. One list, shown on the Documentation page and in the OpenAPI description.

/// Actions refused to FSP users and their API tokens, on REST and GraphQL alike.
pub const OPERATOR_ONLY_ACTIONS: &[&str] = &[
    "Creating, editing or deleting availability declarations: the operator enters them on the FSP's behalf (guide §3.4)",
    "Accepting or rejecting declared availability",
    "Creating, changing or cancelling dispatches, emergency stops and re-sending dispatch messages",
    "Configuring zones, programmes, dispatch groups, meterable units, marketplace units, baselines and prices",
    "Finalising or re-issuing monthly statements",
    "Inviting users, disabling them or resetting their second factor, creating companies or operators, and reading the audit log (GraphQL createUser, disableUser, resetSecondFactor, createCompany, createOperator, users, auditLog)",
];
