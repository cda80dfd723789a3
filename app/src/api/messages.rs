//! Messages in the dashboard: the business's messages, handling them and replying by
//! calling back (scoped to the session's business). Callers leave them through
//! `POST /call/message` (a multipart upload; see `pages::call::message`).

use entity::callbacks::CallbackView;
use entity::messages::MessageView;
use leptos::prelude::*;

use crate::error::AppError;

/// The messages of the current business, newest first: all, or those of `status`
/// (`new`, `handled`).
#[server(endpoint = "list_messages")]
pub async fn list_messages(status: Option<String>) -> Result<Vec<MessageView>, AppError> {
    use crate::backend;
    use entity::messages::MessageStatus;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let status = match status.as_deref().map(str::trim) {
            None | Some("" | "all") => None,
            Some("new") => Some(MessageStatus::New),
            Some("handled") => Some(MessageStatus::Handled),
            Some(_) => return Err(entity::DomainError::invalid("status", "Unknown status.").into()),
        };
        Ok(entity::messages::store::list(&services.db, &principal, status).await?)
    })
    .await
}

/// Marks message `id` handled (`handled` = `true`) or new again.
#[server(endpoint = "set_message_handled")]
pub async fn set_message_handled(id: String, handled: String) -> Result<MessageView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "message")?;
        let handled = handled == "true";
        let now = chrono::Utc::now();
        Ok(entity::messages::store::set_handled(&services, &principal, id, handled, now).await?)
    })
    .await
}

/// Replies to message `id` by calling back: the caller gets an email with a link that
/// rings the signed-in member.
#[server(endpoint = "reply_to_message")]
pub async fn reply_to_message(id: String) -> Result<CallbackView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "message")?;
        let now = chrono::Utc::now();
        Ok(entity::messages::store::reply(&services, &principal, id, now).await?)
    })
    .await
}
