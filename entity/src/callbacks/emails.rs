//! The mail of callbacks: to the caller (the request was received, with a link to move or cancel it; a
//! member is calling back, with the join link) and to the members (a new request).
//!
//! The caller typed their name and note, so those reach only the members' mail, escaped in
//! the HTML part and made one line ([`mail_safe`]) wherever they could reach a header;
//! subjects carry only the business's name, made safe the same way. Links are our public
//! URL and a random token.

use crate::auth::emails::{anchor, escape_html, html, mail_safe};
use crate::outbox::OutgoingEmail;

/// A booked time, as the caller's confirmation says it.
#[derive(Clone, Debug)]
pub struct Booked {
    /// `Sat 6 Dec 2026, 11:30 (Europe/Berlin)`, in the caller's zone.
    pub when: String,
    /// The calendar file attached (RFC 5545).
    pub ics: String,
}

/// To the caller: the business got the request — for `booked`, at that time, with a
/// calendar file — and `cancel_link` moves or withdraws it.
#[must_use]
pub fn received(
    to: &str,
    business_name: &str,
    cancel_link: &str,
    booked: Option<&Booked>,
) -> OutgoingEmail {
    confirmation(to, business_name, cancel_link, booked, false)
}

/// To the caller: their callback moved to the time `booked` says (with the
/// calendar file, which replaces the earlier event); `cancel_link` moves or withdraws it.
#[must_use]
pub fn moved(to: &str, business_name: &str, cancel_link: &str, booked: &Booked) -> OutgoingEmail {
    confirmation(to, business_name, cancel_link, Some(booked), true)
}

fn confirmation(
    to: &str,
    business_name: &str,
    cancel_link: &str,
    booked: Option<&Booked>,
    moved: bool,
) -> OutgoingEmail {
    let name = mail_safe(business_name);
    let (plan_text, plan_html, subject) = match booked {
        Some(b) => {
            let when = mail_safe(&b.when);
            (
                format!(
                    "They will call you back on {when}: you will get an email with a link \
                     that starts the call. The calendar file attached puts it in your calendar."
                ),
                format!(
                    "They will call you back on <strong>{}</strong>: you will get an email \
                     with a link that starts the call. The calendar file attached puts it in \
                     your calendar.",
                    escape_html(&when)
                ),
                format!("\"{name}\" will call you back on {when}"),
            )
        }
        None => (
            "They have your request and will call you back as soon as they can: you will \
             get an email with a link that starts the call."
                .to_owned(),
            "They have your request and will call you back as soon as they can: you will \
             get an email with a link that starts the call."
                .to_owned(),
            format!("\"{name}\" will call you back"),
        ),
    };
    let (intro_text, intro_html, subject) = if moved {
        (
            format!("Your callback from \"{name}\" has a new time."),
            format!(
                "Your callback from <strong>{}</strong> has a new time.",
                escape_html(&name)
            ),
            subject.replace(" will call you back on ", " moved your callback to "),
        )
    } else {
        (
            format!("You asked \"{name}\" to call you back."),
            format!(
                "You asked <strong>{}</strong> to call you back.",
                escape_html(&name)
            ),
            subject,
        )
    };
    let text = format!(
        "Hello,\n\n{intro_text} {plan_text}\n\nAnother time suits you better, or no longer \
         needed? Change the time or cancel the request here:\n\n{cancel_link}\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        format!("{intro_html} {plan_html}"),
        format!(
            "Another time suits you better, or no longer needed? {}.",
            anchor(cancel_link, "Change the time or cancel the request")
        ),
    ]);
    OutgoingEmail {
        calendar: booked.map(|b| b.ics.clone()),
        to: to.to_owned(),
        subject,
        text,
        html: Some(html),
    }
}

/// To the caller, shortly before the time they booked: `business_name` calls them back at
/// `when` (in their zone); `cancel_link` withdraws it.
#[must_use]
pub fn reminder(to: &str, business_name: &str, when: &str, cancel_link: &str) -> OutgoingEmail {
    let name = mail_safe(business_name);
    let when = mail_safe(when);
    let text = format!(
        "Hello,\n\nA reminder: \"{name}\" calls you back on {when}. You will get an email \
         with a link that starts the call.\n\nAnother time, or no longer needed? Change or cancel \
         here:\n\n{cancel_link}\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        format!(
            "A reminder: <strong>{}</strong> calls you back on <strong>{}</strong>. You will \
             get an email with a link that starts the call.",
            escape_html(&name),
            escape_html(&when)
        ),
        format!(
            "Another time, or no longer needed? {}.",
            anchor(cancel_link, "Change or cancel")
        ),
    ]);
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: format!("Reminder: \"{name}\" calls you back on {when}"),
        text,
        html: Some(html),
    }
}

/// What the members' mail says about a request.
#[derive(Clone, Debug)]
pub struct RequestSummary<'a> {
    pub business_name: &'a str,
    /// The caller's name, else their email.
    pub who: &'a str,
    pub email: &'a str,
    pub intent: Option<&'a str>,
    pub note: Option<&'a str>,
    /// The booked time (in the business's zone), for a scheduled callback.
    pub when: Option<&'a str>,
    /// The dashboard's callbacks page.
    pub dashboard_link: &'a str,
}

/// To a member: a caller nobody could answer asks to be called back.
#[must_use]
pub fn new_request(to: &str, r: &RequestSummary<'_>) -> OutgoingEmail {
    let business = mail_safe(r.business_name);
    let who = mail_safe(r.who);
    let email = mail_safe(r.email);
    let about = r
        .intent
        .map(|i| format!(" about \"{}\"", mail_safe(i)))
        .unwrap_or_default();
    let note = r.note.map(str::trim).filter(|n| !n.is_empty());
    let at = r
        .when
        .map(|w| format!(" on {}", mail_safe(w)))
        .unwrap_or_default();
    let mut text = format!(
        "Hello,\n\n{who} ({email}) called \"{business}\"{about}, nobody could answer, and \
         they asked to be called back{at}.\n"
    );
    if let Some(note) = note {
        text.push_str(&format!("\nTheir note:\n{note}\n"));
    }
    text.push_str(&format!(
        "\nCall them back from the dashboard:\n\n{}\n",
        r.dashboard_link
    ));
    let mut paragraphs = vec![
        "Hello,".to_owned(),
        format!(
            "<strong>{}</strong> ({}) called <strong>{}</strong>{}, nobody could answer, and \
             they asked to be called back{}.",
            escape_html(&who),
            escape_html(&email),
            escape_html(&business),
            escape_html(&about),
            escape_html(&at)
        ),
    ];
    if let Some(note) = note {
        paragraphs.push(format!("Their note: {}", escape_html(note)));
    }
    paragraphs.push(anchor(r.dashboard_link, "Call them back"));
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: if r.when.is_some() {
            format!("Callback booked — \"{business}\"")
        } else {
            format!("Callback requested — \"{business}\"")
        },
        text,
        html: Some(html(&paragraphs)),
    }
}

/// How long a link works, for people: "30 minutes", "24 hours", "7 days".
#[must_use]
pub fn lifetime(ttl: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (ttl.num_days(), ttl.num_hours(), ttl.num_minutes()) {
        (d, h, _) if d >= 2 && h % 24 == 0 => plural(d, "day"),
        (_, h, m) if h >= 1 && m % 60 == 0 => plural(h, "hour"),
        (_, _, m) => plural(m.max(1), "minute"),
    }
}

/// To the caller: `member` of the business is calling back now; `join_link` starts the
/// call, once, for `ttl`.
#[must_use]
pub fn calling_back(
    to: &str,
    business_name: &str,
    member: &str,
    join_link: &str,
    ttl: chrono::Duration,
) -> OutgoingEmail {
    let business = mail_safe(business_name);
    let member = mail_safe(member);
    let ttl = lifetime(ttl);
    let text = format!(
        "Hello,\n\n{member} of \"{business}\" is calling you back about your request.\n\n\
         Open this link to join the call in your browser (it works once and expires in \
         {ttl}):\n\n{join_link}\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        format!(
            "{} of <strong>{}</strong> is calling you back about your request.",
            escape_html(&member),
            escape_html(&business)
        ),
        anchor(join_link, "Join the call"),
        format!("The link works once and expires in {ttl}."),
    ]);
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: format!("\"{business}\" is calling you back"),
        text,
        html: Some(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "Eve\r\nBcc: victim@example.com <script>alert(1)</script>";

    #[test]
    fn user_text_never_reaches_a_header_or_markup() {
        let mail = new_request(
            "agent@acme.example",
            &RequestSummary {
                business_name: HOSTILE,
                who: HOSTILE,
                email: "eve@example.com",
                intent: Some(HOSTILE),
                note: Some(HOSTILE),
                when: None,
                dashboard_link: "https://dc.example/app/callbacks",
            },
        );
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        let html = mail.html.unwrap_or_default();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let received = received("c@example.com", HOSTILE, "https://dc.example/l/x", None);
        assert!(!received.subject.contains('\n'));
        assert!(!received.html.unwrap_or_default().contains("<script>"));
        let back = calling_back(
            "c@example.com",
            HOSTILE,
            HOSTILE,
            "https://dc.example/l/y",
            chrono::Duration::hours(24),
        );
        assert!(back.text.contains("expires in 24 hours"), "{}", back.text);
        assert!(!back.subject.contains('\r'));
        assert!(back.text.contains("https://dc.example/l/y"));
        assert!(!back.html.unwrap_or_default().contains("<script>"));
    }

    #[test]
    fn lifetimes_read_as_people_say_them() {
        use chrono::Duration;
        assert_eq!(lifetime(Duration::minutes(10)), "10 minutes");
        assert_eq!(lifetime(Duration::minutes(90)), "90 minutes");
        assert_eq!(lifetime(Duration::hours(1)), "1 hour");
        assert_eq!(lifetime(Duration::hours(24)), "24 hours");
        assert_eq!(lifetime(Duration::days(7)), "7 days");
        assert_eq!(lifetime(Duration::hours(36)), "36 hours");
    }
}
