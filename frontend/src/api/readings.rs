//! Readings through the Participant API (the browser's session cookie stands in for the
//! token): the latest readings of a unit and a CSV upload.

use super::{get, post_csv};
use shared::{IngestSummary, Reading};

/// The latest 60 readings of a meterable unit, newest first.
pub async fn latest(meterable_unit_id: &str) -> Result<Vec<Reading>, String> {
    get(&format!(
        "/api/v2/readings/latest?meterable_unit_id={meterable_unit_id}"
    ))
    .await
}

/// Uploads a readings CSV: every row is stored, or none.
pub async fn upload_csv(csv: String) -> Result<IngestSummary, String> {
    post_csv("/api/v2/readings/csv", csv).await
}
