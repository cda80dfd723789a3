//! `/app/rewards`: what callers earned for waiting — the totals, the ledger with "redeem"
//! (behind a confirmation), and the reward policy (owners and admins). The ledger table is
//! shared with the contact page, which shows one contact's.

use entity::rewards::{RewardTotals, RewardView, CODE_PLACEHOLDER, TEMPLATE_MAX};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::ManagersOnly;
use crate::api::{get_reward_policy, list_rewards, RedeemReward, SetRewardPolicy};
use crate::ui::{
    action_error, action_output, date_time, saved, Card, Column, ConfirmAction, DataTable,
    EmptyState, ErrorSummary, Field, Loaded, PageHeader, Row, SubmitButton, SuccessAlert,
};

/// The rewards page.
#[component]
pub fn RewardsPage() -> impl IntoView {
    let redeem = ServerAction::<RedeemReward>::new();
    let policy_saved = ServerAction::<SetRewardPolicy>::new();
    let ledger = Resource::new(
        move || (redeem.version().get(), policy_saved.version().get()),
        |_| list_rewards(None),
    );
    let error = action_error(redeem);
    view! {
        <Title text="Rewards" />
        <PageHeader
            title="Rewards"
            lead="Thank callers who had to wait: points for every minute past your threshold, a coupon, or both."
        />
        <Card title="Ledger" id="rewards-title">
            <ErrorSummary error />
            <Loaded
                resource=ledger
                view=move |l| {
                    view! {
                        <Totals totals=l.totals />
                        <RewardsTable list=l.rewards redeem show_contact=true />
                    }
                }
            />
        </Card>
        <ManagersOnly notice="Owners and admins set what callers earn.">
            <PolicyCard action=policy_saved />
        </ManagersOnly>
    }
}

/// The totals, as figures.
#[component]
pub fn Totals(totals: RewardTotals) -> impl IntoView {
    let open = totals.points_issued - totals.points_redeemed;
    view! {
        <dl class="report-figures" id="reward-totals">
            <div>
                <dt>"Rewards issued"</dt>
                <dd id="total-rewards">{totals.rewards.to_string()}</dd>
            </div>
            <div>
                <dt>"Points issued"</dt>
                <dd id="total-points">{totals.points_issued.to_string()}</dd>
            </div>
            <div>
                <dt>"Points not redeemed"</dt>
                <dd id="total-open">{open.to_string()}</dd>
            </div>
            <div>
                <dt>"Coupons"</dt>
                <dd id="total-coupons">{totals.coupons.to_string()}</dd>
            </div>
            <div>
                <dt>"Redeemed"</dt>
                <dd id="total-redeemed">{totals.redeemed.to_string()}</dd>
            </div>
        </dl>
    }
}

/// "4 min 05 s" for 245,000 ms.
fn waited(ms: i64) -> String {
    let seconds = (ms + 500) / 1000;
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    }
}

/// What it is: points, a coupon code, or both.
fn reward_cell(r: &RewardView) -> impl IntoView {
    view! {
        {(r.points > 0).then(|| view! { <strong>{format!("{} points", r.points)}</strong> })}
        {r.coupon_code.clone().map(|c| view! { <br /> <code class="coupon">{c}</code> })}
    }
}

/// A ledger: one reward per row, with "Redeem…" on those still open.
#[component]
pub fn RewardsTable(
    list: Vec<RewardView>,
    redeem: ServerAction<RedeemReward>,
    /// Whether the first column names the contact (the contact page leaves it out).
    show_contact: bool,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-rewards">
                "No rewards yet. When rewards are on, a caller who waits past your threshold earns one as soon as the call ends; it shows here and on their contact page, and they see it on the call page and by email if they left one."
            </EmptyState>
        });
    }
    let mut columns = Vec::with_capacity(6);
    if show_contact {
        columns.push(Column::new("Caller").class("wrap"));
    }
    columns.extend([
        Column::new("Waited").class("nowrap"),
        Column::new("Reward"),
        Column::new("Issued").class("nowrap"),
        Column::new("Status"),
        Column::actions(),
    ]);
    let rows = list
        .into_iter()
        .map(|r| {
            let id = r.id.to_string();
            let who = r.contact_name.clone().unwrap_or_else(|| r.caller_name.clone());
            let status = match r.redeemed_at {
                Some(at) => Either::Left(view! {
                    <span class="badge badge-muted">"Redeemed"</span>
                    <br />
                    <span class="muted small">
                        {date_time(&at)}
                        {r.redeemed_by_name.clone().map(|n| format!(" by {n}"))}
                    </span>
                }),
                None => Either::Right(view! { <span class="badge badge-success">"Open"</span> }),
            };
            let action = r.redeemed_at.is_none().then(|| {
                view! {
                    <ConfirmAction
                        action=redeem
                        fields=vec![("id", id.clone()), ("key", format!("dashboard-{id}"))]
                        label="Redeem"
                        name=format!("Redeem the reward of {who}")
                        question=format!("Redeem the reward of {who}?")
                        detail="Do this when the caller uses it: it counts as used and cannot be redeemed again."
                        confirm="Yes, redeem"
                        pending=redeem.pending()
                    />
                }
            });
            let mut cells = Vec::with_capacity(6);
            if show_contact {
                let caller = match r.contact_id {
                    Some(c) => Either::Left(view! { <a href=format!("/app/contacts/{c}")>{who.clone()}</a> }),
                    None => Either::Right(view! { <span>{who.clone()}</span> }),
                };
                cells.push(caller.into_any());
            }
            cells.extend([
                waited(r.wait_ms).into_any(),
                reward_cell(&r).into_any(),
                date_time(&r.issued_at).into_any(),
                status.into_any(),
                view! { <div class="row-actions">{action}</div> }.into_any(),
            ]);
            Row::new(cells).data("data-reward", id)
        })
        .collect();
    Either::Right(view! { <DataTable id="rewards-table" columns rows /> })
}

/// The policy form.
#[component]
fn PolicyCard(action: ServerAction<SetRewardPolicy>) -> impl IntoView {
    let error = action_error(action);
    let done = action_output(action);
    let version = saved(action);
    let policy = Resource::new(move || version.get(), |_| get_reward_policy());
    view! {
        <Card
            title="Reward policy"
            id="reward-policy-title"
            lead="The wait runs from the moment the caller asks for the call until someone answers. Calls asked for after you switch rewards on count."
        >
            {move || done.get().map(|p| view! {
                <div id="reward-policy-saved">
                    <SuccessAlert>
                        {if p.enabled { "Saved: callers who wait past the threshold earn rewards now." } else { "Saved: rewards are off." }}
                    </SuccessAlert>
                </div>
            })}
            <Loaded
                resource=policy
                view=move |p| {
                    view! {
                        <ActionForm action attr:class="form form-grid" attr:novalidate=true attr:id="reward-policy-form">
                            <ErrorSummary
                                error
                                attempts=action.version()
                                fields=&[
                                    ("thresholdSecs", "reward-threshold"),
                                    ("pointsPerMinute", "reward-points"),
                                    ("capPoints", "reward-cap"),
                                    ("couponTemplate", "reward-coupon"),
                                ]
                            />
                            <div class="field field-check">
                                <input id="reward-enabled" name="enabled" type="checkbox" value="on" checked=p.enabled />
                                <label for="reward-enabled">"Reward callers who wait"</label>
                            </div>
                            <Field
                                label="Threshold (seconds)"
                                id="reward-threshold"
                                name="threshold_secs"
                                field="thresholdSecs"
                                input_type="number"
                                inputmode="numeric"
                                hint="A wait up to this long earns nothing (0 to 3600)."
                                value=p.threshold_secs.to_string()
                                error
                            />
                            <Field
                                label="Points per minute"
                                id="reward-points"
                                name="points_per_minute"
                                field="pointsPerMinute"
                                input_type="number"
                                inputmode="numeric"
                                hint="For every started minute past the threshold (0 for a coupon only)."
                                value=p.points_per_minute.to_string()
                                error
                            />
                            <Field
                                label="Cap (points per call)"
                                id="reward-cap"
                                name="cap_points"
                                field="capPoints"
                                input_type="number"
                                inputmode="numeric"
                                hint="Leave empty for no cap."
                                value=p.cap_points.map(|c| c.to_string()).unwrap_or_default()
                                error
                            />
                            <Field
                                label="Coupon code template"
                                id="reward-coupon"
                                name="coupon_template"
                                field="couponTemplate"
                                hint=format!("Optional. {CODE_PLACEHOLDER} becomes a random part, as in THANKS-{CODE_PLACEHOLDER}.")
                                value=p.coupon_template.clone().unwrap_or_default()
                                maxlength=TEMPLATE_MAX
                                error
                            />
                            <SubmitButton
                                id="reward-policy-save"
                                label="Save reward policy"
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
