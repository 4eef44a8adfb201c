//! Limits on the shape of a GraphQL request, checked once it is parsed and before anything
//! runs (over HTTP and WebSocket alike): aliases let one request ask for the same costly
//! field hundreds of times, which complexity limits alone price too cheaply.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};
use std::sync::Arc;

/// Aliased fields one request may hold.
pub const MAX_ALIASES: usize = 30;
/// Field selections one request may hold, fragments counted once.
pub const MAX_FIELDS: usize = 500;

/// The extension that enforces [`MAX_ALIASES`] and [`MAX_FIELDS`].
pub struct ShapeLimits;

impl ExtensionFactory for ShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ShapeLimitsExtension)
    }
}

struct ShapeLimitsExtension;

#[derive(Default)]
struct Counts {
    aliases: usize,
    fields: usize,
}

fn count(set: &SelectionSet, counts: &mut Counts) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                counts.fields += 1;
                if field.node.alias.is_some() {
                    counts.aliases += 1;
                }
                count(&field.node.selection_set.node, counts);
            }
            Selection::InlineFragment(fragment) => {
                count(&fragment.node.selection_set.node, counts);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Why a document is refused, if it is.
pub fn check(document: &ExecutableDocument) -> Result<(), String> {
    let mut counts = Counts::default();
    for (_, operation) in document.operations.iter() {
        count(&operation.node.selection_set.node, &mut counts);
    }
    for fragment in document.fragments.values() {
        count(&fragment.node.selection_set.node, &mut counts);
    }
    if counts.aliases > MAX_ALIASES {
        return Err(format!(
            "the request has {} aliased fields; at most {MAX_ALIASES} are allowed: send \
             several requests instead",
            counts.aliases
        ));
    }
    if counts.fields > MAX_FIELDS {
        return Err(format!(
            "the request selects {} fields; at most {MAX_FIELDS} are allowed",
            counts.fields
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Extension for ShapeLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check(&document).map_err(|message| {
            let mut error = ServerError::new(message, None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "QUERY_TOO_LARGE");
            error.extensions = Some(extensions);
            error
        })?;
        Ok(document)
    }
}
