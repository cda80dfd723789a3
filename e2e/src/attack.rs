//! The XSS attack suite's tools: a corpus of hostile text, the check that a page stayed
//! inert after rendering it, and the server's count of CSP violations.
//!
//! Every payload, if it ever ran, would set `window.__xss` (or `parent.__xss` from a
//! frame). A page passes [`assert_inert`] when that flag is unset, nothing in its DOM
//! could run or load script (no `on…` attribute, no `javascript:` URL, no frame, SVG,
//! image, style or script we did not write), and the browser logged no CSP refusal. The
//! server counts every violation the browsers report (`csp_violations_total`), which
//! [`Metrics::csp_violations`] reads: a payload that became markup shows up there even
//! when the policy stopped it.

use anyhow::{bail, Context};

use crate::tab::Tab;

/// Hostile text for every field, each at most 60 characters (the shortest limit, intent
/// labels and team names): closing tags, attribute breakouts, `javascript:` URLs, SVG,
/// frames, entity and template tricks, fullwidth brackets, U+2028 and a right-to-left
/// override.
pub const PAYLOADS: &[&str] = &[
    "</title><img src=x onerror=__xss=1><title>",
    "\"><svg onload=__xss=1>",
    "'><img src=x onerror=__xss=1>",
    "</script><script>__xss=1</script>",
    "javascript:__xss=1//",
    "<a href=\"javascript:__xss=1\">click</a>",
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\">",
    "<svg><script>__xss=1</script></svg>",
    "<img src=x onerror=&#95;&#95;xss=1>",
    "\u{FF1C}img src=x onerror=__xss=1\u{FF1E}",
    "a\u{2028}</textarea><img src=x onerror=__xss=1>",
    "b\u{202E}<img src=x onerror=__xss=1>\u{202C}",
    "<!--<img src=\"--><img src=x onerror=__xss=1>\">",
    "{{constructor.constructor('__xss=1')()}}",
    "<style>@import 'http://127.0.0.9/x.css';</style>",
];

/// Hostile text as the local part of an address mail can really be sent to (RFC 5322
/// `dot-atom`, lowercase, unique with `tag`): markup itself (`<`, `>`, `"`) is refused in
/// email addresses (`entity::validate::EmailAddress`), so these break out of a
/// single-quoted attribute, smuggle percent-encoded markup or a template expression.
#[must_use]
pub fn hostile_email(payload_index: usize, tag: &str) -> String {
    let local = match payload_index % 3 {
        0 => "'onfocus=__xss=1'autofocus='",
        1 => "%3cimg%20src=x%20onerror=__xss=1%3e",
        _ => "{{constructor.constructor}}",
    };
    format!("{local}{tag}@example.com")
}

/// What a page must not contain after rendering hostile text; `[]` when it is inert.
/// Scripts we wrote carry the CSP nonce; nothing else may be a script. The only SVG is
/// ours, by exact id or class (the home page's charts, the schedule's day bars; none of
/// the payloads names them), with its `<title>`s — and it still meets every attribute
/// rule.
const INERT_CHECK: &str = r#"
const bad = [];
const ours = (el) => {
  const svg = el.closest('svg');
  return !!svg && (['chart-calls-per-day', 'chart-missed-by-hour'].includes(svg.id)
    || svg.classList.contains('hours-bar'));
};
if (window.__xss !== undefined) bad.push('window.__xss = ' + window.__xss);
const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster'];
for (const el of document.querySelectorAll('*')) {
  const tag = el.tagName.toLowerCase();
  for (const a of el.attributes) {
    const name = a.name.toLowerCase();
    if (name.startsWith('on')) bad.push(`<${tag}> has ${name}="${a.value}"`);
    if (name === 'srcdoc') bad.push(`<${tag}> has srcdoc`);
    if (urlAttrs.includes(name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(a.value))
      bad.push(`<${tag}> ${name}="${a.value}"`);
  }
  if (['iframe', 'frame', 'object', 'embed', 'svg', 'math', 'img', 'style', 'base'].includes(tag)
      && !(tag === 'svg' && ours(el)))
    bad.push(`an element <${tag}>`);
  if (tag === 'script' && !el.nonce) bad.push(`a script without our nonce: ${el.outerHTML.slice(0, 120)}`);
  if (tag === 'title' && el.parentElement !== document.head && !ours(el))
    bad.push('a <title> outside <head>');
  if (tag === 'link' && el.rel === 'stylesheet' && !new URL(el.href).pathname.startsWith('/pkg/'))
    bad.push(`a stylesheet ${el.href}`);
  if (tag === 'meta' && el.httpEquiv) bad.push(`<meta http-equiv=${el.httpEquiv}>`);
}
const titles = [...document.querySelectorAll('title')].filter((t) => !ours(t)).length;
if (titles !== 1) bad.push(`${titles} <title> elements`);
return bad;
"#;

/// Fails unless the page in `tab` is inert (see the module docs); `page` names it.
///
/// # Errors
/// A payload ran or became markup, or the browser refused something under the CSP.
pub async fn assert_inert(tab: &Tab, page: &str) -> anyhow::Result<()> {
    let bad: Vec<String> = tab.js(INERT_CHECK).await?;
    let csp: Vec<String> = tab
        .console_errors()
        .await?
        .into_iter()
        .filter(|e| e.contains("Content Security Policy") || e.contains("Content-Security-Policy"))
        .collect();
    if !bad.is_empty() || !csp.is_empty() {
        let _ = tab.shot(&format!("xss-failure-{}", tab.who)).await;
        bail!(
            "{}: {page} is not inert:\n  DOM: {bad:#?}\n  CSP refusals in the console: {csp:#?}",
            tab.who
        );
    }
    Ok(())
}

/// The server's `/metrics`, read with the bearer token it was started with.
pub struct Metrics {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Metrics {
    /// `base` is the server's origin; `token` its `DOMAINCALL_METRICS_TOKEN`.
    #[must_use]
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            url: format!("{base}/metrics"),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The number of CSP violations browsers reported so far (`csp_violations_total`,
    /// every directive).
    ///
    /// # Errors
    /// The endpoint did not answer 200.
    pub async fn csp_violations(&self) -> anyhow::Result<f64> {
        let res = self
            .http
            .get(&self.url)
            .bearer_auth(&self.token)
            .send()
            .await
            .context("GET /metrics")?;
        if !res.status().is_success() {
            bail!("GET /metrics answered {}", res.status());
        }
        let text = res.text().await?;
        Ok(text
            .lines()
            .filter(|l| l.starts_with("csp_violations_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }
}

/// Puts a file named `name` holding `content` into the file input `css` of the page, as
/// if chosen in the file picker (a name a real file system may not allow, like one with
/// `/`, included).
///
/// # Errors
/// The input is missing or the browser refused.
pub async fn choose_file(tab: &Tab, css: &str, name: &str, content: &str) -> anyhow::Result<()> {
    let script = format!(
        "const input = document.querySelector({css});
         if (!input) return false;
         const dt = new DataTransfer();
         dt.items.add(new File([{content}], {name}, {{ type: 'text/html' }}));
         input.files = dt.files;
         return input.files.length === 1;",
        css = serde_json::to_string(css)?,
        content = serde_json::to_string(content)?,
        name = serde_json::to_string(name)?,
    );
    let ok: bool = tab.js(&script).await?;
    if !ok {
        bail!("{}: no file input {css}", tab.who);
    }
    Ok(())
}

/// Records the type of every blob the page turns into an object URL from now on
/// (`window.__blobTypes`), to prove received files are typed for download only.
///
/// # Errors
/// The browser refused the script.
pub async fn watch_object_urls(tab: &Tab) -> anyhow::Result<()> {
    let _: bool = tab
        .js("if (!window.__blobTypes) {
               window.__blobTypes = [];
               const make = URL.createObjectURL.bind(URL);
               URL.createObjectURL = (b) => { window.__blobTypes.push(b && b.type); return make(b); };
             }
             return true;")
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_fit_every_field() {
        for p in PAYLOADS {
            assert!(p.chars().count() <= 60, "{p}");
            assert_eq!(p.trim(), *p, "labels are trimmed: {p:?}");
        }
        let mut lower: Vec<String> = PAYLOADS.iter().map(|p| p.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), PAYLOADS.len(), "labels are unique in any case");
        assert!(!hostile_email(0, "x").contains(' '));
    }
}
