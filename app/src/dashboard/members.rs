//! `/app/members`: who is on the team, their roles, and invitations.
//!
//! Everybody sees the list; managers get the controls the domain allows them (the
//! server checks every action again, so hiding a control is only a courtesy).

use entity::types::{InvitationView, Me, MemberView, Role};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_account;
use crate::api::{
    list_invitations, list_members, InviteMember, RemoveMember, RevokeInvitation, SetMemberRole,
};
use crate::error::AppError;
use crate::ui::{
    action_error, date, role_description, role_label, ErrorPanel, Field, FormAlert, Loading,
    PageHeader, RoleBadge, SuccessAlert,
};

/// The members page.
#[component]
pub fn MembersPage() -> impl IntoView {
    let account = use_account();
    let remove = ServerAction::<RemoveMember>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let members = Resource::new(
        move || (remove.version().get(), set_role.version().get()),
        |_| list_members(),
    );
    // Only managers may list invitations; agents are not asked for them at all.
    let invitations = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        move |_| async move {
            match account.me.await {
                Ok(me) if me.business.role.can_manage() => list_invitations().await.map(Some),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    let remove_error = action_error(remove);
    let role_error = action_error(set_role);

    view! {
        <Title text="Members" />
        <PageHeader title="Members" lead="The people who answer calls and run this business." />
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Team"</h2>
            <FormAlert error=remove_error />
            <FormAlert error=role_error />
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match (account.me.await, members.await) {
                        (Ok(me), Ok(list)) => {
                            Either::Left(view! { <MembersTable me list remove set_role /> })
                        }
                        (Err(error), _) | (_, Err(error)) => {
                            Either::Right(view! { <ErrorPanel error /> })
                        }
                    }
                })}
            </Transition>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match account.me.await {
                    Ok(me) if me.business.role.can_manage() => {
                        Some(view! { <InviteCard invite owner=me.business.role == Role::Owner /> })
                    }
                    _ => None,
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match invitations.await {
                    Ok(Some(list)) => Some(Either::Left(view! { <PendingInvitations list revoke /> })),
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(view! { <ErrorPanel error /> })),
                }
            })}
        </Transition>
    }
}

/// The members with, for managers, the role and remove controls.
#[component]
fn MembersTable(
    me: Me,
    list: Vec<MemberView>,
    remove: ServerAction<RemoveMember>,
    set_role: ServerAction<SetMemberRole>,
) -> impl IntoView {
    let my_role = me.business.role;
    let manager = my_role.can_manage();
    let owners = list.iter().filter(|m| m.role == Role::Owner).count();
    let rows = list
        .into_iter()
        .map(|m| {
            let is_me = m.user_id == me.user_id;
            // Only owners change roles; only owners remove owners, and never the last one.
            let can_change_role = my_role == Role::Owner;
            let can_remove = manager
                && !is_me
                && (m.role != Role::Owner || (my_role == Role::Owner && owners > 1));
            view! {
                <tr>
                    <td data-label="Email">
                        <span class="member-email">{m.email.clone()}</span>
                        {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
                    </td>
                    <td data-label="Role">
                        <RoleBadge role=m.role />
                    </td>
                    <td data-label="Joined">{date(&m.joined_at)}</td>
                    {manager
                        .then(|| {
                            view! {
                                <td data-label="Actions" class="actions">
                                    {can_change_role
                                        .then(|| view! { <RoleForm member=m.clone() action=set_role /> })}
                                    {can_remove
                                        .then(|| {
                                            view! {
                                                <ActionForm action=remove attr:class="inline">
                                                    <input type="hidden" name="user_id" value=m.user_id.clone() />
                                                    <button
                                                        type="submit"
                                                        class="btn btn-danger btn-small"
                                                        aria-label=format!("Remove {}", m.email)
                                                    >
                                                        "Remove"
                                                    </button>
                                                </ActionForm>
                                            }
                                        })}
                                </td>
                            }
                        })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" id="members-table">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Joined"</th>
                        {manager.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// An owner's control to change one member's role.
#[component]
fn RoleForm(member: MemberView, action: ServerAction<SetMemberRole>) -> impl IntoView {
    let select_id = format!("role-{}", member.user_id);
    let options = [Role::Owner, Role::Admin, Role::Agent]
        .into_iter()
        .map(|r| {
            view! {
                <option value=r.as_str() selected=r == member.role>
                    {role_label(r)}
                </option>
            }
        })
        .collect_view();
    view! {
        <ActionForm action attr:class="inline role-form">
            <input type="hidden" name="user_id" value=member.user_id.clone() />
            <label for=select_id.clone() class="visually-hidden">
                {format!("Role of {}", member.email)}
            </label>
            <select id=select_id name="role" class="select-small">
                {options}
            </select>
            <button type="submit" class="btn btn-small">
                "Change role"
            </button>
        </ActionForm>
    }
}

/// The invitation form (managers).
#[component]
fn InviteCard(invite: ServerAction<InviteMember>, owner: bool) -> impl IntoView {
    let error = action_error(invite);
    let form_ref = NodeRef::<html::Form>::new();
    let pending = invite.pending();
    let sent: Signal<Option<InvitationView>> =
        Signal::derive(move || invite.value().get().and_then(Result::ok));
    // Clear the form once an invitation went out.
    Effect::new(move |_| {
        if sent.with(Option::is_some) {
            if let Some(form) = form_ref.get() {
                form.reset();
            }
        }
    });
    let roles: &[Role] = if owner {
        &[Role::Agent, Role::Admin, Role::Owner]
    } else {
        &[Role::Agent, Role::Admin]
    };
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <p class="muted">"They get an email with a link to join; it works once and expires."</p>
            {move || {
                sent.get()
                    .map(|inv| {
                        view! {
                            <SuccessAlert>
                                "Invitation sent to " <strong>{inv.email}</strong> "."
                            </SuccessAlert>
                        }
                    })
            }}
            <ActionForm action=invite node_ref=form_ref attr:class="form form-row" attr:novalidate=true>
                <FormAlert error fields=&["email"] />
                <Field
                    label="Email"
                    id="invite-email"
                    name="email"
                    field="email"
                    input_type="email"
                    autocomplete="off"
                    placeholder="name@example.com"
                    error
                />
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        {roles
                            .iter()
                            .map(|r| {
                                view! {
                                    <option value=r.as_str() selected=*r == Role::Agent>
                                        {role_description(*r)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field field-action">
                    <button
                        id="invite-submit"
                        data-testid="invite-submit"
                        type="submit"
                        class="btn btn-primary"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "Sending…" } else { "Send invitation" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// Invitations not yet accepted, with revoke.
#[component]
fn PendingInvitations(
    list: Vec<InvitationView>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let error: Signal<Option<AppError>> = action_error(revoke);
    let body = if list.is_empty() {
        Either::Left(view! { <p class="muted" id="no-invitations">"No pending invitations."</p> })
    } else {
        let rows = list
            .into_iter()
            .map(|inv| {
                view! {
                    <tr>
                        <td data-label="Email">{inv.email.clone()}</td>
                        <td data-label="Role">
                            <RoleBadge role=inv.role />
                        </td>
                        <td data-label="Sent">{date(&inv.created_at)}</td>
                        <td data-label="Expires">{date(&inv.expires_at)}</td>
                        <td data-label="Actions" class="actions">
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="id" value=inv.id.clone() />
                                <button
                                    type="submit"
                                    class="btn btn-ghost btn-small"
                                    aria-label=format!("Revoke the invitation of {}", inv.email)
                                >
                                    "Revoke"
                                </button>
                            </ActionForm>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        Either::Right(view! {
            <div class="table-wrap">
                <table class="table" id="invitations-table">
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Sent"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })
    };
    view! {
        <section class="card" aria-labelledby="pending-title">
            <h2 id="pending-title">"Pending invitations"</h2>
            <FormAlert error />
            {body}
        </section>
    }
}
