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
                        <h3>"Your team answers in the browser"</h3>
                        <p>
                            "The call rings in the dashboard of the members it is routed to, on every device they are signed in on."
                        </p>
                    </li>
                </ol>
            </section>

            <section class="features" aria-labelledby="features-title">
                <h2 id="features-title">"What you get"</h2>
                <ul class="feature-list">
                    <li>
                        <h3>"Voice, video, chat and files"</h3>
                        <p>
                            "Callers choose how to talk. A chat call needs no microphone, and files go straight from one browser to the other."
                        </p>
                    </li>
                    <li>
                        <h3>"Routing by what the call is about"</h3>
                        <p>
                            "Each topic a caller can pick rings a team — all at once, in turn or the longest idle first, with a fallback team — one member, or everyone."
                        </p>
                    </li>
                    <li>
                        <h3>"A softphone in the dashboard"</h3>
                        <p>
                            "Answer, mute, turn the camera off, chat and transfer a call to a colleague or a team."
                        </p>
                    </li>
                    <li>
                        <h3>"Call history and notes"</h3>
                        <p>
                            "Every call with its timeline, wait, duration and chat, and the notes your team keeps on it."
                        </p>
                    </li>
                    <li>
                        <h3>"No caller left hanging"</h3>
                        <p>
                            "When nobody can answer, callers book a callback at a free time or leave a voice message; your team calls back with one click, and a link brings them together."
                        </p>
                    </li>
                    <li>
                        <h3>"Rewards for waiting"</h3>
                        <p>
                            "Thank callers who waited with points or a coupon, shown as the call ends and kept in each contact's ledger."
                        </p>
                    </li>
                    <li>
                        <h3>"A button for your site"</h3>
                        <p>"One script tag puts a click-to-call button on any page."</p>
                    </li>
                    <li>
                        <h3>"An API"</h3>
                        <p>
                            "A GraphQL API with keys for your own software, and live events as members, domains and routing change."
                        </p>
                    </li>
                </ul>
            </section>
        </main>
        <footer class="site-footer">
            <p>"domaincall — a business's domain name is its phone line."</p>
        </footer>
    }
}
