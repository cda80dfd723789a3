//! Mapping domain errors to GraphQL errors with a stable `extensions.code`.

use async_graphql::{ErrorExtensions, Response, Value};
use entity::DomainError;

/// Converts a domain error into a GraphQL error: the public message, `code`, and for
/// validation errors the per-field `fields` list; retry hints for rate limits.
pub fn gql(err: DomainError) -> async_graphql::Error {
    let message = err.public_message();
    let code = err.code().as_str();
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        if let DomainError::RateLimited { retry_after_secs } = &err {
            ext.set("retryAfterSeconds", *retry_after_secs);
        }
        if !err.field_errors().is_empty() {
            let fields: Vec<Value> = err
                .field_errors()
                .iter()
                .map(|f| {
                    let mut m = async_graphql::indexmap::IndexMap::new();
                    m.insert(
                        async_graphql::Name::new("field"),
                        Value::from(f.field.clone()),
                    );
                    m.insert(
                        async_graphql::Name::new("message"),
                        Value::from(f.message.clone()),
                    );
                    Value::Object(m)
                })
                .collect();
            ext.set("fields", Value::List(fields));
        }
    })
}

/// Shorthand: `.map_err(gql)` on domain results.
pub trait GqlResult<T> {
    /// Maps the error with [`gql`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql)
    }
}

/// Errors raised by the engine itself (syntax, unknown fields, bad argument types, depth
/// and complexity limits) carry no code; they are all bad requests: `VALIDATION`.
pub fn ensure_codes(mut response: Response) -> Response {
    for e in &mut response.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !has_code {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "VALIDATION");
        }
    }
    response
}
