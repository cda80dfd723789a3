//! The emails of sign-up and invitations, as plain text with an HTML alternative.
//!
//! These go to addresses a stranger chose, so they carry as little of the stranger's text
//! as possible: sign-up emails none at all (not even the business name asked for), an
//! invitation only the business name. That name is escaped in the HTML part and, in every
//! part and the subject, stripped of control, invisible and direction-changing characters
//! (a reversed run could make `moc.evil` read as `live.com`); a line break can never reach
//! a header. Links are built here from our own public URL and a random token.

use crate::outbox::OutgoingEmail;

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe as HTML text and inside
/// a quoted attribute.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters that are invisible or change the direction of the text around them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A name chosen by a user as it may appear in an email: one line, no control, invisible
/// or bidirectional-override characters, runs of white space as one space.
#[must_use]
pub fn mail_safe(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c.is_control())
        .map(|word| {
            word.chars()
                .filter(|c| !is_invisible(*c))
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An HTML document of the given paragraphs (each already HTML).
pub(crate) fn html(paragraphs: &[String]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n{body}</body></html>\n"
    )
}

/// A link as an HTML anchor.
pub(crate) fn anchor(href: &str, label: &str) -> String {
    format!(
        "<a href=\"{}\">{}</a>",
        escape_html(href),
        escape_html(label)
    )
}

/// The invitation to join `business_name` as `role_name` ("an agent"), with its link.
#[must_use]
pub fn invitation(
    to: &str,
    business_name: &str,
    role_name: &str,
    link: &str,
    ttl_days: i64,
) -> OutgoingEmail {
    let name = mail_safe(business_name);
    let text = format!(
        "Hello,\n\nYou have been invited to join \"{name}\" on domaincall as {role_name}.\n\n\
         Accept the invitation here (the link works once and expires in {ttl_days} days):\n\n\
         {link}\n\nIf you did not expect this, ignore this email.\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        format!(
            "You have been invited to join <strong>{}</strong> on domaincall as {role_name}.",
            escape_html(&name)
        ),
        anchor(link, "Accept the invitation"),
        format!(
            "The link works once and expires in {ttl_days} days. If you did not expect this, \
             ignore this email."
        ),
    ]);
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: format!("You are invited to answer calls for \"{name}\""),
        text,
        html: Some(html),
    }
}

/// The link that finishes a sign-up of a new address.
#[must_use]
pub fn confirm_sign_up(to: &str, link: &str, ttl_hours: i64) -> OutgoingEmail {
    let text = format!(
        "Hello,\n\nSomeone, hopefully you, asked to create a domaincall account with this \
         email address.\n\nTo create it and sign in, open this link (it works once and \
         expires in {ttl_hours} hours):\n\n{link}\n\nIf it was not you, ignore this email: \
         no account is created without this link.\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        "Someone, hopefully you, asked to create a domaincall account with this email address."
            .to_owned(),
        anchor(link, "Create my account and sign in"),
        format!(
            "The link works once and expires in {ttl_hours} hours. If it was not you, ignore \
             this email: no account is created without this link."
        ),
    ]);
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: "Confirm your email to finish signing up for domaincall".to_owned(),
        text,
        html: Some(html),
    }
}

/// The note to the owner of an address that already has an account when someone signs up
/// with it again. It has no link that changes anything.
#[must_use]
pub fn sign_up_attempt(to: &str, sign_in_url: &str) -> OutgoingEmail {
    let text = format!(
        "Hello,\n\nSomeone tried to create a new domaincall account with this email address. \
         You already have one, so nothing was created and nothing changed.\n\n\
         If it was you, sign in instead:\n\n{sign_in_url}\n\n\
         If it was not you, you can ignore this email; your account and password are as they \
         were.\n"
    );
    let html = html(&[
        "Hello,".to_owned(),
        "Someone tried to create a new domaincall account with this email address. You \
         already have one, so nothing was created and nothing changed."
            .to_owned(),
        format!("If it was you, {} instead.", anchor(sign_in_url, "sign in")),
        "If it was not you, you can ignore this email; your account and password are as they \
         were."
            .to_owned(),
    ]);
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: "Someone tried to sign up for domaincall with your email".to_owned(),
        text,
        html: Some(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "X</title><img src=x onerror=alert(1)>\r\nBcc: victim@example.com \u{202E}moc.live\u{202C}";

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn names_lose_line_breaks_and_direction_tricks() {
        assert_eq!(
            mail_safe(" Acme\u{200B} \t Plumbing\u{202E}\r\n "),
            "Acme Plumbing"
        );
        let safe = mail_safe(HOSTILE);
        assert!(
            !safe.contains(['\r', '\n', '\u{202E}', '\u{202C}']),
            "{safe:?}"
        );
    }

    #[test]
    fn an_invitation_carries_the_name_only_escaped() {
        let mail = invitation(
            "bob@example.com",
            HOSTILE,
            "an agent",
            "https://dc.example/invite/t0k\"en",
            7,
        );
        let html = mail.html.expect("an HTML part");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("</title>"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://dc.example/invite/t0k&quot;en\""),
            "{html}"
        );
        assert!(!mail.subject.contains(['\r', '\n']), "{}", mail.subject);
        assert!(!mail.subject.contains('\u{202E}'), "{}", mail.subject);
        assert!(
            mail.text.contains("Bcc: victim@example.com"),
            "as text, on one line"
        );
        assert!(!mail.text.contains("\r\nBcc"), "{}", mail.text);
    }

    #[test]
    fn sign_up_mails_carry_no_chosen_text() {
        let confirm = confirm_sign_up("ann@example.com", "https://dc.example/signup/confirm/t", 24);
        assert!(confirm.text.contains("https://dc.example/signup/confirm/t"));
        assert!(confirm
            .html
            .is_some_and(|h| h.contains("href=\"https://dc.example/signup/confirm/t\"")));
        let attempt = sign_up_attempt("ann@example.com", "https://dc.example/signin");
        assert!(attempt.text.contains("https://dc.example/signin"));
        assert!(!attempt.text.contains("/signup/confirm/"));
    }
}
