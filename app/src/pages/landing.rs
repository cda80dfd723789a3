//! `/`: what domaincall is, and the way in.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use super::PublicHeader;

/// The landing page.
#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text="Your domain is your phone line" />
        <Meta
            name="description"
            content="domaincall turns your business's domain name into its phone line: customers call you from the browser at yourdomain.com/call — no app, no phone number."
        />
        <PublicHeader />
        <main class="landing">
            <section class="hero">
                <div class="hero-text">
                    <p class="eyebrow">"Browser calling for businesses"</p>
                    <h1>"Your domain is your phone line."</h1>
                    <p class="lead">
                        "With domaincall, customers reach your business by its name. They open "
                        <strong>"example.com/call"</strong>
                        " and talk to your team straight from the browser — no app to install, no phone number to look up or dial."
                    </p>
                    <div class="hero-actions">
                        <A href="/signup" attr:class="btn btn-primary btn-large">
                            "Create your business"
                        </A>
                        <A href="/signin" attr:class="btn btn-large">
                            "Sign in"
                        </A>
                    </div>
                </div>
                <div class="hero-visual" aria-hidden="true">
                    <div class="browser-frame">
                        <div class="browser-bar">
                            <span class="dot"></span>
                            <span class="dot"></span>
                            <span class="dot"></span>
                            <span class="url">"example.com/call"</span>
                        </div>
                        <div class="browser-body">
                            <p class="call-title">"Call Example Co."</p>
                            <p class="call-sub">"What is your call about?"</p>
                            <div class="call-options">
                                <span class="chip">"Sales"</span>
                                <span class="chip">"Support"</span>
                                <span class="chip">"Billing"</span>
                            </div>
                            <span class="call-button">"Call now"</span>
                        </div>
                    </div>
                </div>
            </section>

            <section class="steps" aria-labelledby="how-title">
                <h2 id="how-title">"How it works"</h2>
                <ol class="step-list">
                    <li class="card">
                        <h3>"Prove your domain"</h3>
                        <p>
                            "Publish one DNS TXT record. Once verified, your domain is your business's calling identity."
                        </p>
                    </li>
                    <li class="card">
                        <h3>"Callers click, not dial"</h3>
                        <p>
                            "Visitors call from your call page or a button on your site, and say what the call is about before it rings."
                        </p>
                    </li>
                    <li class="card">
                        <h3>"Your team answers anywhere"</h3>
                        <p>
                            "Calls ring every signed-in device of the right team. Missed one? Callers can ask for a callback instead."
                        </p>
                    </li>
                </ol>
            </section>
        </main>
        <footer class="site-footer">
            <p>"domaincall — a business's domain name is its phone line."</p>
        </footer>
    }
}
