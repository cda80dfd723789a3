//! The "Callback times" card of `/app/callbacks` (owners and admins): how callers' "call me
//! back at…" slots are cut from the opening hours — slot length, buffer, notice, how far
//! ahead — and how many callbacks one slot takes.

use entity::callbacks::slots::SLOT_LIMITS;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{callback_slot_policy, SetSlotPolicy};
use crate::ui::{
    action_error, action_output, saved, Card, ErrorSummary, Field, Loaded, SubmitButton,
    SuccessAlert,
};

/// The labels and ids of the settings, in [`SLOT_LIMITS`] order.
const SETTINGS: [(&str, &str, &str); 6] = [
    ("slot_minutes", "slots-length", "Slot length (minutes)"),
    (
        "buffer_minutes",
        "slots-buffer",
        "Free minutes between slots",
    ),
    (
        "notice_minutes",
        "slots-notice",
        "Earliest start (minutes from now)",
    ),
    ("window_days", "slots-window", "Days ahead callers can book"),
    ("capacity", "slots-capacity", "Callbacks per slot"),
    (
        "reminder_minutes",
        "slots-reminder",
        "Remind the caller (minutes before; 0: never)",
    ),
];

/// The slot policy form.
#[component]
pub fn SlotPolicyCard() -> impl IntoView {
    let action = ServerAction::<SetSlotPolicy>::new();
    let error = action_error(action);
    let done = action_output(action);
    let version = saved(action);
    let policy = Resource::new(move || version.get(), |_| callback_slot_policy());
    view! {
        <Card
            title="Callback times"
            id="slots-title"
            lead="Callers nobody could answer can book a time for you to call them back. Times are cut from the opening hours of the team their topic goes to."
        >
            {move || done.get().map(|_| view! { <div id="slots-saved"><SuccessAlert>"Saved: callers are offered these times now."</SuccessAlert></div> })}
            <Loaded
                resource=policy
                view=move |p| {
                    let values = [
                        u32::from(p.slot_minutes),
                        u32::from(p.buffer_minutes),
                        p.notice_minutes,
                        u32::from(p.window_days),
                        u32::from(p.capacity),
                        u32::from(p.reminder_minutes),
                    ];
                    view! {
                        <ActionForm action attr:class="form form-grid" attr:novalidate=true attr:id="slots-form">
                            <ErrorSummary
                                error
                                attempts=action.version()
                                fields=&[
                                    ("slot_minutes", "slots-length"),
                                    ("buffer_minutes", "slots-buffer"),
                                    ("notice_minutes", "slots-notice"),
                                    ("window_days", "slots-window"),
                                    ("capacity", "slots-capacity"),
                                    ("reminder_minutes", "slots-reminder"),
                                ]
                            />
                            {SETTINGS
                                .into_iter()
                                .zip(SLOT_LIMITS)
                                .zip(values)
                                .map(|(((field, id, label), (_, least, most)), value)| {
                                    view! {
                                        <Field
                                            label
                                            id
                                            name=field
                                            field
                                            input_type="number"
                                            inputmode="numeric"
                                            hint=format!("{least} to {most}")
                                            value=value.to_string()
                                            error
                                        />
                                    }
                                })
                                .collect_view()}
                            <SubmitButton
                                id="slots-save"
                                label="Save callback times"
                                pending_label="Saving…"
                                pending=action.pending()
                            />
                        </ActionForm>
                    }
                }
            />
        </Card>
    }
}
