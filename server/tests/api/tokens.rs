//! Every kind of bad credential is refused with UNAUTHENTICATED.

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, TestApp, TEST_KEY_ID, TEST_SECRET};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

fn sign(alg: Algorithm, kid: &str, secret: &[u8], claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.to_owned());
    encode(&h, claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn bad_tokens_are_unauthenticated(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let good = claims_of(&owner.token);
    // Sanity: re-signing the genuine claims with the real key is accepted.
    let resigned = sign(Algorithm::HS256, TEST_KEY_ID, TEST_SECRET, &good);
    let me = "{ me { email } }";
    assert!(app.gql(&Auth::Bearer(resigned), me, json!({})).await["data"]["me"].is_object());

    let header_none = B64.encode(br#"{"alg":"none","typ":"JWT","kid":"test-k1"}"#);
    let body = B64.encode(serde_json::to_vec(&good).unwrap());
    let alg_none = format!("{header_none}.{body}.");
    let wrong_alg = sign(Algorithm::HS512, TEST_KEY_ID, TEST_SECRET, &good);
    let mut expired_claims = good.clone();
    expired_claims["exp"] = json!(chrono::Utc::now().timestamp() - 10);
    let expired = sign(Algorithm::HS256, TEST_KEY_ID, TEST_SECRET, &expired_claims);
    let mut aud_claims = good.clone();
    aud_claims["aud"] = json!("someone-else");
    let wrong_aud = sign(Algorithm::HS256, TEST_KEY_ID, TEST_SECRET, &aud_claims);
    let mut iss_claims = good.clone();
    iss_claims["iss"] = json!("https://evil.example");
    let wrong_iss = sign(Algorithm::HS256, TEST_KEY_ID, TEST_SECRET, &iss_claims);
    let unknown_kid = sign(Algorithm::HS256, "other-kid", TEST_SECRET, &good);
    let other_secret = sign(
        Algorithm::HS256,
        TEST_KEY_ID,
        b"another-secret-another-secret-another",
        &good,
    );
    let mut parts: Vec<String> = owner.token.split('.').map(str::to_owned).collect();
    let mut tampered_claims = good.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::new_v4().to_string());
    parts[1] = B64.encode(serde_json::to_vec(&tampered_claims).unwrap());
    let tampered = parts.join(".");
    let (_, key) = app.api_key(&owner, "to revoke").await;
    let keys = app
        .gql(&owner.auth(), "{ apiKeys { id } }", json!({}))
        .await;
    let key_id = keys["data"]["apiKeys"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(app.gql(&Auth::Bearer(key.clone()), me, json!({})).await["data"]["me"].is_object());
    app.gql(
        &owner.auth(),
        "mutation($id: ID!) { revokeApiKey(id: $id) { revoked } }",
        json!({ "id": key_id }),
    )
    .await;
    let mut forged_key = key.clone();
    forged_key.pop();
    forged_key.push(if key.ends_with('A') { 'B' } else { 'A' });

    let cases = [
        ("alg none", alg_none),
        ("wrong algorithm", wrong_alg),
        ("expired", expired),
        ("wrong aud", wrong_aud),
        ("wrong iss", wrong_iss),
        ("unknown kid", unknown_kid),
        ("other secret", other_secret),
        ("tampered payload", tampered),
        ("revoked API key", key),
        ("forged API key", forged_key),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (name, token) in cases {
        let res = app.gql(&Auth::Bearer(token), me, json!({})).await;
        assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{name}: {res}");
        assert!(res["data"].is_null(), "{name} leaked data: {res}");
    }
    app.finish().await;
}

both_dbs!(bad_tokens_are_unauthenticated);
