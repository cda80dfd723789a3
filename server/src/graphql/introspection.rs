//! Refusing introspection when `DOMAINCALL_GRAPHQL_INTROSPECTION` is off.
//!
//! async-graphql's `disable_introspection` answers `{ __schema { … } }` with
//! `"__schema": null` and no error, which a client cannot tell from a broken server. This
//! extension refuses, after parsing and before anything runs, every document that
//! selects `__schema` or `__type` anywhere (operations and fragments alike, over HTTP
//! and WebSocket), with a stable code. `__typename` stays: clients need it and it says
//! nothing about the schema.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Pos, ServerError, ServerResult, Variables};

/// The extension factory: add it to the schema when introspection is off.
pub struct NoIntrospection;

impl ExtensionFactory for NoIntrospection {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NoIntrospection)
    }
}

/// Where the document selects an introspection field, if it does.
fn introspection_field(doc: &ExecutableDocument) -> Option<Pos> {
    let mut todo: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
        .collect();
    while let Some(set) = todo.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__schema" || name == "__type" {
                        return Some(field.pos);
                    }
                    todo.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    todo.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    None
}

#[async_graphql::async_trait::async_trait]
impl Extension for NoIntrospection {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if let Some(pos) = introspection_field(&doc) {
            let mut error = ServerError::new(
                "Introspection is off on this server (DOMAINCALL_GRAPHQL_INTROSPECTION); \
                 the schema is published as schema.graphql.",
                Some(pos),
            );
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "VALIDATION");
            error.extensions = Some(extensions);
            return Err(error);
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(query: &str) -> bool {
        let doc = async_graphql::parser::parse_query(query).expect("a query");
        introspection_field(&doc).is_some()
    }

    #[test]
    fn every_spelling_of_introspection_is_found() {
        assert!(asks("{ __schema { types { name } } }"));
        assert!(asks(r#"{ __type(name: "Query") { name } }"#));
        assert!(asks(
            "query A { me { email } } query B { s: __schema { queryType { name } } }"
        ));
        assert!(asks(
            "{ ...F } fragment F on Query { __schema { queryType { name } } }"
        ));
        assert!(asks("{ ... on Query { __type(name: \"X\") { name } } }"));
        assert!(!asks("{ __typename me { __typename email } }"));
        assert!(!asks("mutation { signOut }"));
    }
}
