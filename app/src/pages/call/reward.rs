//! The reward on the ended screen: after an answered call, the page asks the server
//! (`GET /call/reward/{call}`) what the wait earned under the business's reward policy, a
//! few times while the reward job has not judged the call yet, and says it.

use entity::rewards::CallerReward;
use leptos::prelude::*;

/// What the ended screen says about the reward, once known.
#[component]
pub fn RewardNote(reward: RwSignal<Option<CallerReward>>) -> impl IntoView {
    move || match reward.get() {
        Some(CallerReward::Issued {
            points,
            coupon_code,
            business,
        }) => {
            let points = (points > 0).then(|| format!("{points} points"));
            Some(view! {
                <div class="call-reward" id="call-reward" role="status">
                    <h3>"Thank you for waiting"</h3>
                    <p>
                        {format!("{business} thanks you for your patience: ")}
                        {points.map(|p| view! { <strong>{p}</strong> })}
                        {coupon_code.map(|c| view! { " Your coupon code: " <code class="coupon">{c}</code> })}
                    </p>
                </div>
            })
        }
        _ => None,
    }
}

/// Asks for the reward of `call_id` until it is judged (at most ~30 s), then sets it.
#[cfg(feature = "hydrate")]
pub async fn follow(reward: RwSignal<Option<CallerReward>>, call_id: String) {
    for attempt in 0..20 {
        if attempt > 0 {
            crate::rtc::media::sleep(1_500).await;
        }
        match fetch(&call_id).await {
            Some(CallerReward::Pending) => {}
            Some(r) => {
                reward.set(Some(r));
                return;
            }
            None => return,
        }
    }
}

/// One answer of the server (`None`: no reward to wait for, or it cannot be asked).
#[cfg(feature = "hydrate")]
async fn fetch(call_id: &str) -> Option<CallerReward> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let promise = window().fetch_with_str(&format!("/call/reward/{call_id}"));
    let response: web_sys::Response = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    serde_json::from_str(&text).ok()
}
