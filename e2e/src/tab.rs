//! One person's browser in a multi-browser scenario: finders, actions and checks that wait
//! (generously: CI machines are loaded) and fail with a message naming who, what and what
//! the page showed instead, so a red run says which step broke.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, Locator};
use serde::de::DeserializeOwned;

use crate::{console_errors, screenshot, Driver};

/// How long one step may take.
pub const STEP: Duration = Duration::from_secs(45);

/// The key WebDriver uses for element references in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A Chromium session acting as one person (`who` names them in errors and screenshots).
pub struct Tab {
    pub who: &'static str,
    pub c: Client,
    driver_url: String,
}

impl Tab {
    /// Opens a new Chromium session (with fake camera and microphone when `fake_media`).
    ///
    /// # Errors
    /// When the session cannot be created.
    pub async fn open(
        driver: &Driver,
        who: &'static str,
        fake_media: bool,
    ) -> anyhow::Result<Self> {
        Self::open_with(driver, who, fake_media, &[]).await
    }

    /// [`Tab::open`] with extra Chromium switches ([`Driver::browser_with`]).
    ///
    /// # Errors
    /// When the session cannot be created.
    pub async fn open_with(
        driver: &Driver,
        who: &'static str,
        fake_media: bool,
        extra_args: &[String],
    ) -> anyhow::Result<Self> {
        let c = driver
            .browser_with(fake_media, extra_args)
            .await
            .with_context(|| format!("{who}: opening a browser"))?;
        Ok(Self {
            who,
            c,
            driver_url: driver.url.clone(),
        })
    }

    /// Navigates and waits for the hydrated app (`body[data-hydrated]`).
    ///
    /// # Errors
    /// When the page does not load or hydrate in time.
    pub async fn goto_hydrated(&self, url: &str) -> anyhow::Result<()> {
        self.c
            .goto(url)
            .await
            .with_context(|| format!("{}: opening {url}", self.who))?;
        self.wait_for("the page to hydrate", "body[data-hydrated]")
            .await
            .map(drop)
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Option<String> {
        self.c.find(Locator::Css(css)).await.ok()?.text().await.ok()
    }

    /// The attribute `attr` of the first element matching `css`.
    pub async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.c
            .find(Locator::Css(css))
            .await
            .ok()?
            .attr(attr)
            .await
            .ok()
            .flatten()
    }

    /// Polls `probe` every 150 ms until it yields `Ok`, else fails after [`STEP`] with
    /// `what` and the last thing the probe saw.
    ///
    /// # Errors
    /// `what` did not happen in time.
    pub async fn until<T, F, Fut>(&self, what: &str, mut probe: F) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        let deadline = Instant::now() + STEP;
        loop {
            match probe().await {
                Ok(v) => return Ok(v),
                Err(seen) if Instant::now() > deadline => {
                    bail!(
                        "{}: timed out after {STEP:?} waiting for {what} (last seen: {seen})",
                        self.who
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(150)).await,
            }
        }
    }

    /// Waits for an element matching `css` to be displayed.
    ///
    /// # Errors
    /// It did not appear in time.
    pub async fn wait_for(&self, what: &str, css: &str) -> anyhow::Result<Element> {
        self.until(&format!("{what} (`{css}`)"), || async {
            let el = self
                .c
                .find(Locator::Css(css))
                .await
                .map_err(|_| "no such element".to_owned())?;
            match el.is_displayed().await {
                Ok(true) => Ok(el),
                _ => Err("present but not displayed".to_owned()),
            }
        })
        .await
    }

    /// Waits until the element matching `css` contains `needle`; returns its text.
    ///
    /// # Errors
    /// The text did not appear in time.
    pub async fn wait_text(&self, css: &str, needle: &str) -> anyhow::Result<String> {
        self.until(&format!("`{needle}` in `{css}`"), || async {
            match self.text(css).await {
                Some(t) if t.contains(needle) => Ok(t),
                Some(t) => Err(format!("{t:?}")),
                None => Err("no such element".to_owned()),
            }
        })
        .await
    }

    /// Waits until `css`'s attribute `attr` is one of `want`; returns it.
    ///
    /// # Errors
    /// It did not get there in time.
    pub async fn wait_attr(&self, css: &str, attr: &str, want: &[&str]) -> anyhow::Result<String> {
        self.until(&format!("`{css}` with {attr} in {want:?}"), || async {
            match self.attr(css, attr).await {
                Some(v) if want.contains(&v.as_str()) => Ok(v),
                Some(v) => Err(format!("{attr}={v:?}")),
                None => Err(format!("no such element or no {attr}")),
            }
        })
        .await
    }

    /// Clicks the element matching `css` once it can be clicked. A visually hidden control
    /// (a styled radio button) is clicked through its label, as a person would.
    ///
    /// # Errors
    /// It never became clickable.
    pub async fn click(&self, what: &str, css: &str) -> anyhow::Result<()> {
        self.until(&format!("{what} to be clickable (`{css}`)"), || async {
            let el = self
                .c
                .find(Locator::Css(css))
                .await
                .map_err(|_| "no such element".to_owned())?;
            if matches!(el.is_displayed().await, Ok(false)) {
                if let Some(label) = self.label_of(&el).await {
                    return label.click().await.map_err(|e| format!("its label: {e}"));
                }
            }
            // In the middle of the viewport, clear of the sticky top bar (a click scrolls
            // an element only just into view, where the bar may cover it).
            if let Ok(arg) = serde_json::to_value(&el) {
                let centre = "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});";
                let _ = self.c.execute(centre, vec![arg]).await;
            }
            el.click().await.map_err(|e| e.to_string())
        })
        .await
    }

    /// The `<label>` around or for `el`, if any.
    async fn label_of(&self, el: &Element) -> Option<Element> {
        let found = self
            .c
            .execute(
                "const e = arguments[0]; return e.closest('label') \
                 || (e.id && document.querySelector(`label[for=\"${e.id}\"]`)) || null;",
                vec![serde_json::to_value(el).ok()?],
            )
            .await
            .ok()?;
        let id = found.get(ELEMENT_KEY)?.as_str()?.to_owned();
        Some(Element::from_element_id(
            self.c.clone(),
            ElementRef::from(id),
        ))
    }

    /// Types `text` into the field matching `css` (cleared first).
    ///
    /// # Errors
    /// The field never appeared.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let el = self.wait_for("a field", css).await?;
        el.clear().await.ok();
        el.send_keys(text)
            .await
            .with_context(|| format!("{}: typing into `{css}`", self.who))
    }

    /// Presses and releases one key on whatever has the focus.
    ///
    /// # Errors
    /// The browser refused the key actions.
    pub async fn press(&self, key: fantoccini::key::Key) -> anyhow::Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        self.c
            .perform_actions(keys)
            .await
            .with_context(|| format!("{}: pressing a key", self.who))?;
        self.c.release_actions().await.ok();
        Ok(())
    }

    /// Runs `script` (a function body; a returned promise is awaited) and decodes its result.
    ///
    /// # Errors
    /// The script threw, or its result did not decode.
    pub async fn js<T: DeserializeOwned>(&self, script: &str) -> anyhow::Result<T> {
        let v = self
            .c
            .execute(script, vec![])
            .await
            .with_context(|| format!("{}: running a script", self.who))?;
        serde_json::from_value(v.clone())
            .with_context(|| format!("{}: unexpected script result {v}", self.who))
    }

    /// Saves `target/e2e/<name>.png`.
    ///
    /// # Errors
    /// The browser could not take it.
    pub async fn shot(&self, name: &str) -> anyhow::Result<()> {
        screenshot(&self.c, name)
            .await
            .map(drop)
            .with_context(|| format!("{}: screenshot {name}", self.who))
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver
    /// (`goog/cdp/execute`), e.g. `Browser.setDownloadBehavior`; returns its result.
    ///
    /// # Errors
    /// chromedriver refused the command or could not be reached.
    pub async fn cdp(
        &self,
        cmd: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let session = self.c.session_id().await?.context("no WebDriver session")?;
        let res: serde_json::Value = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver_url
            ))
            .json(&serde_json::json!({ "cmd": cmd, "params": params }))
            .send()
            .await?
            .json()
            .await?;
        if res["value"]["error"].is_string() {
            bail!("{}: CDP {cmd}: {}", self.who, res["value"]);
        }
        Ok(res["value"].clone())
    }

    /// Severe console messages since the last call.
    ///
    /// # Errors
    /// chromedriver could not be asked.
    pub async fn console_errors(&self) -> anyhow::Result<Vec<String>> {
        console_errors(&self.driver_url, &self.c).await
    }

    /// Waits until the page's call (`window.__dcPeer`) is `connected`.
    ///
    /// # Errors
    /// When it does not connect in time.
    pub async fn peer_connected(&self) -> anyhow::Result<()> {
        self.until("RTCPeerConnection connected", || async {
            let state: Option<String> = self
                .js("return window.__dcPeer ? window.__dcPeer.connectionState : null;")
                .await
                .map_err(|e| e.to_string())?;
            match state.as_deref() {
                Some("connected") => Ok(()),
                other => Err(format!("__dcPeer.connectionState = {other:?}")),
            }
        })
        .await
    }

    /// The audio bytes the page's call has received so far (`inbound-rtp` in `getStats`).
    ///
    /// # Errors
    /// When there is no call or no inbound audio.
    pub async fn audio_bytes(&self) -> anyhow::Result<u64> {
        let bytes: Option<u64> = self
            .js("return (async () => {
                const pc = window.__dcPeer;
                if (!pc) return null;
                let total = 0, seen = false;
                (await pc.getStats()).forEach(r => {
                    if (r.type === 'inbound-rtp' && (r.kind || r.mediaType) === 'audio') {
                        total += r.bytesReceived || 0;
                        seen = true;
                    }
                });
                return seen ? total : null;
            })();")
            .await?;
        bytes.with_context(|| format!("{}: no inbound-rtp audio in getStats()", self.who))
    }

    /// Waits until the page's call receives audio: an inbound audio stream appears, and its
    /// bytes grow.
    ///
    /// # Errors
    /// When they do not grow in time.
    pub async fn audio_flows(&self) -> anyhow::Result<()> {
        // Right after an answer or a renegotiation the inbound stream may not be in the
        // stats yet: wait for it rather than fail on the first look.
        let first = self
            .until("inbound audio in getStats()", || async {
                self.audio_bytes().await.map_err(|e| e.to_string())
            })
            .await?;
        self.until("inbound audio bytes growing", || async {
            let now = self.audio_bytes().await.map_err(|e| e.to_string())?;
            if now > first && now > 0 {
                Ok(())
            } else {
                Err(format!("bytesReceived {first} then {now}"))
            }
        })
        .await
    }

    /// Signs up a new owner of `business` as a person would, in this browser: the form,
    /// the emailed link (read from `server`'s outbox), the password; returns the session
    /// token once the dashboard is open.
    ///
    /// # Errors
    /// When a step does not happen in time.
    pub async fn sign_up(
        &self,
        server: &crate::Server,
        email: &str,
        password: &str,
        business: &str,
    ) -> anyhow::Result<String> {
        let base = &server.base;
        self.goto_hydrated(&format!("{base}/signup")).await?;
        self.type_into("#email", email).await?;
        self.type_into("#password", password).await?;
        self.type_into("#business-name", business).await?;
        self.click("the sign-up button", "#signup-submit").await?;
        let link = self
            .until("the sign-up email", || async {
                server
                    .sign_up_link(email)
                    .ok_or_else(|| "not yet".to_owned())
            })
            .await?;
        self.goto_hydrated(&format!("{base}{link}")).await?;
        self.type_into("#password", password).await?;
        self.click("the confirm button", "#confirm-submit").await?;
        self.until("the dashboard", || async {
            let url = self.c.current_url().await.map_err(|e| e.to_string())?;
            if url.path().starts_with("/app") {
                Ok(())
            } else {
                Err(url.to_string())
            }
        })
        .await?;
        Ok(self
            .c
            .get_named_cookie("dc_session")
            .await
            .context("the session cookie")?
            .value()
            .to_owned())
    }

    /// After a failure: a screenshot `<prefix>-failure-<who>.png`, the URL, the page's text
    /// and its console errors, printed.
    pub async fn report(&self, prefix: &str) {
        let _ = self.shot(&format!("{prefix}-failure-{}", self.who)).await;
        let url = self.c.current_url().await.map(|u| u.to_string());
        let body = self.text("body").await.unwrap_or_default();
        let errors = self.console_errors().await.unwrap_or_default();
        println!(
            "---- {} at {url:?}\n{body}\n---- {} console errors: {errors:#?}",
            self.who, self.who
        );
    }
}
