//! The "Your calendar" card of `/app/callbacks` (every member): a private address of a
//! calendar feed of the business's booked callbacks, to subscribe to in Google Calendar,
//! Outlook or Apple Calendar. The address is shown once when made; making a new one or
//! revoking stops the old one.

use leptos::prelude::*;

use crate::api::{calendar_feed_status, CreateCalendarFeed, RevokeCalendarFeed};
use crate::ui::{
    action_error, action_output, date_time, saved, Card, ConfirmAction, CopyButton, ErrorSummary,
    Loaded, RowAction,
};

/// The feed card.
#[component]
pub fn CalendarFeedCard() -> impl IntoView {
    let create = ServerAction::<CreateCalendarFeed>::new();
    let revoke = ServerAction::<RevokeCalendarFeed>::new();
    let errors = [action_error(create), action_error(revoke)];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let made = action_output(create);
    let (created, revoked) = (saved(create), saved(revoke));
    let status = Resource::new(
        move || (created.get(), revoked.get()),
        |_| calendar_feed_status(),
    );
    view! {
        <Card
            title="Your calendar"
            id="feed-title"
            lead="Subscribe to your booked callbacks in Google Calendar, Outlook or Apple Calendar: they appear there with the caller and their note."
        >
            <ErrorSummary error />
            {move || {
                made.get()
                    .map(|url| {
                        view! {
                            <div class="secret-box" id="feed-made" role="status">
                                <p class="secret-warning">
                                    <strong>"This address is shown only once."</strong>
                                    " Anyone who has it sees your booked callbacks: keep it private. Add it to your calendar app as a calendar from a URL (a subscription)."
                                </p>
                                <div class="secret-row">
                                    <code id="feed-url" class="secret">{url.clone()}</code>
                                    <CopyButton text=url what="calendar address" id="copy-feed-url" />
                                </div>
                            </div>
                        }
                    })
            }}
            <Loaded
                resource=status
                view=move |since| {
                    view! {
                        <p class="muted" id="feed-status">
                            {match since {
                                Some(t) => format!("Your calendar address was made {}.", date_time(&t)),
                                None => "You have no calendar address yet.".to_owned(),
                            }}
                        </p>
                        <div class="row-actions">
                            <RowAction
                                action=create
                                fields=vec![]
                                label=if since.is_some() { "Make a new address" } else { "Make my calendar address" }
                                name=if since.is_some() { "Make a new calendar address (the old one stops working)" } else { "Make my calendar address" }
                                class="btn btn-small btn-primary"
                            />
                            {since
                                .is_some()
                                .then(|| {
                                    view! {
                                        <ConfirmAction
                                            action=revoke
                                            fields=vec![]
                                            label="Revoke"
                                            name="Revoke my calendar address"
                                            question="Revoke your calendar address?"
                                            detail="Calendars subscribed to it stop getting your callbacks."
                                            confirm="Yes, revoke"
                                            id="feed-revoke"
                                        />
                                    }
                                })}
                        </div>
                    }
                }
            />
        </Card>
    }
}
