//! Reports: event performance and earnings, statements and their versions, and the sample
//! reports: the operations in `frontend/graphql/settlement/`. Downloads are plain links to
//! the Participant API.

use shared::{EventReport, SampleReports, Statement, StatementDetail};

operation! {
    /// The events that ended in `month` (YYYY-MM), optionally in one zone.
    pub fn event_reports(month: &str, zone_id: Option<&str>) -> Vec<EventReport>
        = include_str!("../../graphql/settlement/EventReports.graphql")
}

operation! {
    /// One event's report with every interval.
    pub fn event_report(id: &str) -> EventReport
        = include_str!("../../graphql/settlement/EventReport.graphql")
}

operation! {
    /// The statements of `month`, optionally in one zone.
    pub fn statements(month: &str, zone_id: Option<&str>) -> Vec<Statement>
        = include_str!("../../graphql/settlement/Statements.graphql")
}

operation! {
    /// One statement with its final versions.
    pub fn statement(id: &str) -> StatementDetail
        = include_str!("../../graphql/settlement/Statement.graphql")
}

operation! {
    /// Issues a final statement again; answers with the new version.
    pub fn reissue_statement(id: &str, reason: &str) -> Statement
        = include_str!("../../graphql/settlement/ReissueStatement.graphql")
}

operation! {
    /// An example report and statement from the company's sandbox data.
    pub fn sample_reports() -> SampleReports
        = include_str!("../../graphql/settlement/SampleReports.graphql")
}
