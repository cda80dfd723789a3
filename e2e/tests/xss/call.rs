//! The data call of the attack: the softphone's incoming card, chat both ways and
//! files with hostile names both ways, saved and never opened; notes after the call.

use std::path::PathBuf;

use anyhow::{ensure, Context};
use e2e::attack::{assert_inert, choose_file, watch_object_urls, PAYLOADS};
use e2e::tab::Tab;
use serde_json::json;

use super::World;

/// The notes the member keeps: every ASCII payload, typed.
pub(super) fn notes_text() -> String {
    PAYLOADS
        .iter()
        .filter(|p| p.is_ascii())
        .copied()
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The file names sent (as a sender may name a file) and the names shown on receipt.
const FILES: &[(&str, &str)] = &[
    (
        "\"><img src=x onerror=__xss=1>.html",
        "\"><img src=x onerror=__xss=1>.html",
    ),
    (
        "</title><svg onload=__xss=1>.svg",
        "<_title><svg onload=__xss=1>.svg",
    ),
    ("..\u{202E}lmth.exe", "_lmth.exe"),
];

/// The caller calls about the hostile intent in the data mode; the member's softphone
/// rings showing it; they chat every payload both ways and send hostile file names both
/// ways; each received file is saved (typed for download, never opened); the caller
/// hangs up and the member keeps hostile notes.
pub(super) async fn data_call(
    w: &World,
    member: &Tab,
    caller: &Tab,
    domain: &str,
    intent_id: &str,
    intent_label: &str,
) -> anyhow::Result<()> {
    let base = &w.server.base;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .wait_for("the intent picker", "select#call-intent")
        .await?
        .select_by_value(intent_id)
        .await
        .context("choosing the intent")?;
    caller
        .click("the data mode", "input[name=call-mode][value=data]")
        .await?;
    caller.click("Call", "button#call-start").await?;
    member
        .wait_attr("#softphone", "data-state", &["ringing"])
        .await?;
    member
        .wait_for("the incoming call", "#incoming-call")
        .await?;
    let shown: String = member
        .js("return document.querySelector('#incoming-call .call-intent').textContent;")
        .await?;
    ensure!(
        shown.contains(intent_label),
        "the incoming card shows {shown:?}"
    );
    assert_inert(member, "the softphone's incoming card").await?;
    member.shot("xss-04-incoming").await?;
    member.click("Accept", "button#call-accept").await?;
    caller
        .wait_attr("#call-state", "data-state", &["connected"])
        .await?;
    member
        .wait_attr("#softphone", "data-state", &["connected"])
        .await?;

    for p in PAYLOADS {
        chat(caller, "chat-input", "chat-send", p).await?;
        chat(member, "softphone-chat-input", "softphone-chat-send", p).await?;
    }
    let texts: Vec<String> = PAYLOADS.iter().map(|p| (*p).to_owned()).collect();
    for (t, log) in [(caller, "#chat-log"), (member, "#softphone-chat-log")] {
        chat_shows(t, log, &texts, 2).await?;
        assert_inert(t, "the in-call chat").await?;
    }

    let downloads = download_dir("member");
    let caller_downloads = download_dir("caller");
    for (t, dir) in [(member, &downloads), (caller, &caller_downloads)] {
        t.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": dir }),
        )
        .await?;
        watch_object_urls(t).await?;
    }
    for (sent, shown) in FILES {
        send_file(caller, "#call-file", sent).await?;
        receive_file(member, shown, &downloads).await?;
        send_file(member, "#softphone-file", sent).await?;
        receive_file(caller, shown, &caller_downloads).await?;
    }
    member.shot("xss-04-files-member").await?;
    caller.shot("xss-04-files-caller").await?;

    caller.click("Hang up", "button#call-hangup").await?;
    member
        .wait_attr("#softphone", "data-state", &["ended"])
        .await?;
    member
        .type_into("textarea#call-notes", &notes_text())
        .await?;
    member.click("Save notes", "button#call-notes-save").await?;
    member.wait_text("#softphone .notes-saved", "Saved").await?;
    assert_inert(member, "the softphone after the call").await?;
    assert_inert(caller, "the call page after the call").await?;
    Ok(())
}

/// Sends `text` as a chat message from `tab` (set as the field's value: typing would
/// turn U+2028 into a key press).
async fn chat(tab: &Tab, input: &str, send: &str, text: &str) -> anyhow::Result<()> {
    let script = format!(
        "const f = document.getElementById({}); if (!f) return false; f.value = {}; return true;",
        serde_json::to_string(input)?,
        serde_json::to_string(text)?
    );
    let ok: bool = tab.js(&script).await?;
    ensure!(ok, "{}: no #{input}", tab.who);
    tab.click("Send", &format!("button#{send}")).await
}

/// Waits until the chat log `log` holds each of `texts` `times` times (as text).
async fn chat_shows(tab: &Tab, log: &str, texts: &[String], times: usize) -> anyhow::Result<()> {
    let script = format!(
        "const lines = Array.from(document.querySelectorAll({} + ' .chat-body')).map(e => e.textContent);
         return {}.filter(t => lines.filter(l => l === t).length < {times});",
        serde_json::to_string(log)?,
        serde_json::to_string(texts)?
    );
    tab.until("every chat message, as sent", || async {
        let missing: Vec<String> = tab.js(&script).await.map_err(|e| e.to_string())?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}"))
        }
    })
    .await
}

fn download_dir(who: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dc-xss-downloads-{who}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("a download directory");
    dir
}

/// Sends a file named `name` (holding a script) from `tab`'s file input `input`.
async fn send_file(tab: &Tab, input: &str, name: &str) -> anyhow::Result<()> {
    choose_file(tab, input, name, FILE_BODY).await?;
    tab.click(
        "Send file",
        &format!(".file-panel:has({input}) button[type=submit]:not([disabled])"),
    )
    .await
}

/// What every sent file holds: a page that would run script if it were ever rendered.
const FILE_BODY: &str = "<!doctype html><script>parent.__xss=1;top.__xss=1</script>";

/// Waits for the file shown as `shown` in `tab`, saves it, and checks: it is listed under
/// its cleaned-up name, as a button (no link to the blob), its blob is typed
/// `application/octet-stream`, saving it downloads the bytes into `dir` and neither
/// navigates nor opens a window, and nothing ran.
async fn receive_file(tab: &Tab, shown: &str, dir: &PathBuf) -> anyhow::Result<()> {
    let find = format!(
        "const items = Array.from(document.querySelectorAll('.received-file'));
         const i = items.findIndex(li => li.querySelector('.file-name').textContent === {});
         return i < 0 ? null : i;",
        serde_json::to_string(shown)?
    );
    let index: usize = tab
        .until(&format!("the file {shown:?} received"), || async {
            let i: Option<usize> = tab.js(&find).await.map_err(|e| e.to_string())?;
            i.ok_or_else(|| "not listed".to_owned())
        })
        .await?;
    let links: usize = tab
        .js("return document.querySelectorAll('a[href^=\"blob:\"]').length;")
        .await?;
    ensure!(links == 0, "{}: a link to a received blob", tab.who);
    let types: Vec<Option<String>> = tab.js("return window.__blobTypes;").await?;
    ensure!(
        !types.is_empty()
            && types
                .iter()
                .all(|t| t.as_deref() == Some("application/octet-stream")),
        "{}: received blobs typed {types:?}",
        tab.who
    );
    let before = std::fs::read_dir(dir)?.count();
    let url = tab.c.current_url().await?;
    let windows = tab.c.windows().await?.len();
    tab.click(
        "Save",
        &format!(".received-file:nth-child({}) button.file-save", index + 1),
    )
    .await?;
    tab.until("the file saved", || async {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_none_or(|e| e != "crdownload"))
            .collect();
        let saved = done
            .iter()
            .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t == FILE_BODY))
            .count();
        if saved > before {
            Ok(())
        } else {
            Err(format!("{done:?}"))
        }
    })
    .await?;
    ensure!(
        tab.c.current_url().await? == url && tab.c.windows().await?.len() == windows,
        "{}: saving a file navigated or opened a window",
        tab.who
    );
    assert_inert(tab, "the received files").await
}
