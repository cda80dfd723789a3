//! `/app/members`: who is on the team, their roles, and invitations.
//!
//! Everybody sees the list; managers get the controls the domain allows them (the server
//! checks every action again, so hiding a control is only a courtesy). Removing a member
//! asks first; a pending invitation can be sent again (a new link, the old one dead).

use entity::types::{InvitationView, Me, MemberView, Role};
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{use_account, ManagersOnly};
use crate::api::{
    list_invitations, list_members, InviteMember, RemoveMember, ResendInvitation, RevokeInvitation,
    SetMemberRole,
};
use crate::ui::{
    action_error, action_output, date, role_description, role_label, Card, Column, ConfirmAction,
    DataTable, EmptyState, ErrorSummary, Field, Loaded, PageHeader, RoleBadge, Row, RowAction,
    SelectField, SubmitButton, SuccessAlert,
};

/// The actions of the page and their state, made once (rows re-render inside transitions).
#[derive(Clone, Copy)]
struct Controls {
    remove: ServerAction<RemoveMember>,
    set_role: ServerAction<SetMemberRole>,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
    remove_pending: Signal<bool>,
    resend_pending: Signal<bool>,
}

/// The members page.
#[component]
pub fn MembersPage() -> impl IntoView {
    let account = use_account();
    let remove = ServerAction::<RemoveMember>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let controls = Controls {
        remove,
        set_role,
        resend,
        revoke,
        remove_pending: remove.pending().into(),
        resend_pending: resend.pending().into(),
    };
    let members = Resource::new(
        move || (remove.version().get(), set_role.version().get()),
        move |_| async move { Ok((account.me.await?, list_members().await?)) },
    );
    // Only managers may list invitations; agents are not asked for them at all.
    let invitations = Resource::new(
        move || {
            (
                invite.version().get(),
                resend.version().get(),
                revoke.version().get(),
            )
        },
        move |_| async move {
            match account.me.await {
                Ok(me) if me.business.role.can_manage() => list_invitations().await.map(Some),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    let (remove_error, role_error) = (action_error(remove), action_error(set_role));
    let team_error = Signal::derive(move || remove_error.get().or_else(|| role_error.get()));
    let resent = action_output(resend);
    let (resend_error, revoke_error) = (action_error(resend), action_error(revoke));
    let invitation_error =
        Signal::derive(move || resend_error.get().or_else(|| revoke_error.get()));

    view! {
        <Title text="Members" />
        <PageHeader title="Members" lead="The people who answer calls and run this business.">
            <ManagersOnly>
                <a href="#invite-title" class="btn btn-primary page-action">
                    "Invite someone"
                </a>
            </ManagersOnly>
        </PageHeader>
        <Card title="Team" id="members-title">
            <ErrorSummary error=team_error />
            <Loaded
                resource=members
                view=move |(me, list)| view! { <MembersTable me list controls /> }
            />
        </Card>
        <ManagersOnly>
            <InviteCard invite />
        </ManagersOnly>
        <Loaded
            resource=invitations
            view={move |list: Option<Vec<InvitationView>>| {
                list.map(|list| {
                    view! {
                        <Card title="Pending invitations" id="pending-title">
                            <ErrorSummary error=invitation_error />
                            {move || {
                                resent
                                    .get()
                                    .map(|inv| {
                                        view! {
                                            <SuccessAlert>
                                                "A new link went to " <strong>{inv.email}</strong>
                                                "; the one sent before no longer works."
                                            </SuccessAlert>
                                        }
                                    })
                            }}
                            <PendingInvitations list controls />
                        </Card>
                    }
                })
            }}
        />
    }
}

const MEMBER_COLUMNS: [Column; 3] = [
    Column::new("Member").class("wrap"),
    Column::new("Role"),
    Column::new("Joined").class("nowrap"),
];

/// The members with, for managers, the role and remove controls.
#[component]
fn MembersTable(me: Me, list: Vec<MemberView>, controls: Controls) -> impl IntoView {
    let my_role = me.business.role;
    let manager = my_role.can_manage();
    let owners = list.iter().filter(|m| m.role == Role::Owner).count();
    let business = me.business.name.clone();
    let rows = list
        .into_iter()
        .map(|m| {
            let is_me = m.user_id == me.user_id;
            // Only owners change roles; only owners remove owners, and never the last one.
            let can_change_role = my_role == Role::Owner;
            let can_remove = manager
                && !is_me
                && (m.role != Role::Owner || (my_role == Role::Owner && owners > 1));
            let mut cells = vec![
                view! { <MemberName member=m.clone() is_me /> }.into_any(),
                view! { <RoleBadge role=m.role /> }.into_any(),
                date(&m.joined_at).into_any(),
            ];
            if manager {
                let name = m.name().to_owned();
                let role_form = can_change_role
                    .then(|| view! { <RoleForm member=m.clone() action=controls.set_role /> });
                let remove = can_remove.then(|| {
                    view! {
                        <ConfirmAction
                            action=controls.remove
                            fields=vec![("user_id", m.user_id.clone())]
                            label="Remove"
                            name=format!("Remove {name}")
                            question=format!("Remove {name} from {business}?")
                            detail="They are signed out of this business at once and leave its teams; intents that rang only them ring everyone. You can invite them again."
                            confirm="Yes, remove"
                            pending=controls.remove_pending
                            id=format!("remove-{}", m.user_id)
                            confirm_id=format!("confirm-remove-{}", m.user_id)
                        />
                    }
                });
                cells.push(view! { {role_form} {remove} }.into_any());
            }
            Row::new(cells).data("data-member", m.email.clone())
        })
        .collect();
    let mut columns = MEMBER_COLUMNS.to_vec();
    if manager {
        columns.push(Column::actions());
    }
    view! { <DataTable id="members-table" columns rows /> }
}

/// A member's name, their email under it when they chose a name, and "(you)".
#[component]
fn MemberName(member: MemberView, is_me: bool) -> impl IntoView {
    let email = member
        .display_name
        .is_some()
        .then(|| view! { <span class="member-email muted small">{member.email.clone()}</span> });
    view! {
        <span class="member-name">
            <span class="member-shown">
                {member.name().to_owned()}
                {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
            </span>
            {email}
        </span>
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
                {format!("Role of {}", member.name())}
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
fn InviteCard(invite: ServerAction<InviteMember>) -> impl IntoView {
    let account = use_account();
    let owner = Signal::derive(move || {
        account
            .me
            .get()
            .and_then(Result::ok)
            .is_some_and(|me| me.business.role == Role::Owner)
    });
    let error = action_error(invite);
    let form_ref = NodeRef::<html::Form>::new();
    let sent = action_output(invite);
    // Clear the form once an invitation went out.
    Effect::new(move |_| {
        if sent.with(Option::is_some) {
            if let Some(form) = form_ref.get() {
                form.reset();
            }
        }
    });
    let roles = move || {
        let roles: &[Role] = if owner.get() {
            &[Role::Agent, Role::Admin, Role::Owner]
        } else {
            &[Role::Agent, Role::Admin]
        };
        roles
            .iter()
            .map(|r| {
                view! {
                    <option value=r.as_str() selected=*r == Role::Agent>
                        {role_description(*r)}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <Card
            title="Invite someone"
            id="invite-title"
            lead="They get an email with a link to join; it works once and expires."
        >
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
                <ErrorSummary
                    error
                    attempts=invite.version()
                    fields=&[("email", "invite-email"), ("role", "invite-role")]
                />
                <Field
                    label="Email"
                    id="invite-email"
                    name="email"
                    field="email"
                    input_type="email"
                    placeholder="name@example.com"
                    error
                />
                <SelectField label="Role" id="invite-role" name="role" field="role" error>
                    {roles}
                </SelectField>
                <div class="field field-action">
                    <SubmitButton
                        id="invite-submit"
                        label="Send invitation"
                        pending_label="Sending…"
                        pending=invite.pending()
                    />
                </div>
            </ActionForm>
        </Card>
    }
}

const INVITATION_COLUMNS: [Column; 5] = [
    Column::new("Email").class("wrap"),
    Column::new("Role"),
    Column::new("Sent").class("nowrap"),
    Column::new("Expires").class("nowrap"),
    Column::actions(),
];

/// Invitations not yet accepted, with resend and revoke.
#[component]
fn PendingInvitations(list: Vec<InvitationView>, controls: Controls) -> impl IntoView {
    if list.is_empty() {
        return view! { <EmptyState id="no-invitations">"No pending invitations."</EmptyState> }
            .into_any();
    }
    let rows = list
        .into_iter()
        .map(|inv| {
            let actions = view! {
                <RowAction
                    action=controls.resend
                    fields=vec![("id", inv.id.clone())]
                    label="Resend"
                    name=format!("Send the invitation of {} again", inv.email)
                    pending=controls.resend_pending
                />
                <RowAction
                    action=controls.revoke
                    fields=vec![("id", inv.id.clone())]
                    label="Revoke"
                    name=format!("Revoke the invitation of {}", inv.email)
                    class="btn btn-ghost btn-small"
                />
            };
            Row::new(vec![
                inv.email.clone().into_any(),
                view! { <RoleBadge role=inv.role /> }.into_any(),
                date(&inv.created_at).into_any(),
                date(&inv.expires_at).into_any(),
                actions.into_any(),
            ])
            .data("data-invitation", inv.email)
        })
        .collect();
    view! { <DataTable id="invitations-table" columns=INVITATION_COLUMNS.to_vec() rows /> }
        .into_any()
}
