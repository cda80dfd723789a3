//! Files received over a call's data channel: always saved, never opened.
//!
//! The bytes and the name come from the other party — for a member, a stranger who opened
//! the call page. An object URL lives on the origin of the page that made it, so a blob
//! the browser would render (HTML, SVG, left to content sniffing when it has no type) and
//! that someone opens would run the sender's script on our dashboard's origin. So a
//! received file is a blob typed `application/octet-stream` (a browser only ever offers
//! to save it), the page offers it through a button that saves it under a cleaned-up name
//! (no link to it that could be opened in a tab), and its URL is released when the call's
//! files are cleared.

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 100;

/// `raw` as a file name safe to show and to save under: no path separators or control
/// characters, no bidirectional overrides (`invoice` U+202E `fdp.exe` reads as
/// `invoiceexe.pdf`), no leading dots (hidden files) or trailing dots and spaces, at
/// most [`MAX_NAME_CHARS`] characters, keeping the extension when it has to be shortened;
/// `file` when nothing is left.
#[must_use]
pub fn safe_file_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() || is_invisible_format(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let name = shorten(trimmed);
    if name.chars().all(|c| c == '_') {
        "file".to_owned()
    } else {
        name
    }
}

/// Characters that change how the text around them is shown without showing
/// themselves: bidirectional controls and zero-width characters.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
    )
}

/// At most [`MAX_NAME_CHARS`] characters, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 10)
        .unwrap_or_default();
    let keep = MAX_NAME_CHARS - ext.chars().count() - usize::from(!ext.is_empty());
    let stem: String = name.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// The type every received file's blob gets, whatever it holds.
#[cfg(feature = "hydrate")]
const DOWNLOAD_TYPE: &str = "application/octet-stream";

/// An object URL for the received `chunks`, typed so a browser only ever saves it.
#[cfg(feature = "hydrate")]
#[must_use]
pub fn download_url(chunks: &js_sys::Array) -> Option<String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(DOWNLOAD_TYPE);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(chunks, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Saves a received file: a `download` link made for the moment, clicked and removed, so
/// the page never navigates to the blob.
#[cfg(feature = "hydrate")]
pub fn save(file: &super::ReceivedFile) {
    use wasm_bindgen::JsCast;
    let document = leptos::prelude::document();
    let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return;
    };
    link.set_href(&file.url);
    link.set_download(&file.name);
    link.set_rel("noopener");
    let Some(body) = document.body() else {
        return;
    };
    if body.append_child(&link).is_ok() {
        link.click();
        link.remove();
    }
}

/// Lets the browser free a received file's bytes.
#[cfg(feature = "hydrate")]
pub fn release(file: &super::ReceivedFile) {
    let _ = web_sys::Url::revoke_object_url(&file.url);
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn names_lose_paths_controls_and_direction_tricks() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("C:\\boot.ini"), "C__boot.ini");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(safe_file_name("a\u{200B}b\u{2066}c\nd"), "a_b_c_d");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("report.pdf. . "), "report.pdf");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name("\u{202E}"), "file");
    }

    #[test]
    fn markup_is_kept_as_text() {
        // Shown as text and saved under it: nothing to escape, but nothing lost either.
        assert_eq!(
            safe_file_name("\"><img src=x onerror=alert(1)>.png"),
            "\"><img src=x onerror=alert(1)>.png"
        );
        assert_eq!(safe_file_name("＜script＞.txt"), "＜script＞.txt");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.tar", "a".repeat(300));
        let short = safe_file_name(&long);
        assert_eq!(short.chars().count(), 100);
        assert!(short.ends_with("aaa.tar"), "{short}");
        let no_ext = "b".repeat(300);
        assert_eq!(safe_file_name(&no_ext).chars().count(), 100);
    }
}
