//! `/_s3strict/users`: IAM users at run time, so a test can create a least-privilege key, change
//! its policies, deactivate it and watch its presigned URLs die (`InvalidAccessKeyId`), or delete
//! it. Every change is written to SQLite before it takes effect.
//!
//! - `GET /users`: every user (no secrets).
//! - `POST /users` `{"name", "account_id"?, "access_key"?, "secret_key"?, "policies"?: [doc…]}`:
//!   creates a user (keys generated unless given); answers with its secret, once.
//! - `GET /users/NAME[?account_id=…]`: one user.
//! - `PATCH /users/NAME[?account_id=…]` `{"status"?: "Active"|"Inactive", "policies"?: [doc…]}`.
//! - `DELETE /users/NAME[?account_id=…]`.
//!
//! Policies are IAM identity policy documents, as JSON objects or as strings.

use std::sync::Arc;

use crate::body::ReqBody;
use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;

use crate::body::Body;
use crate::iam::{self, Status, User};
use crate::jsonapi::{error, json, read_json};
use crate::policy::Policy;
use crate::state::AppState;

/// Largest accepted request body: several policies of IAM's 2 KiB–10 KiB sizes.
const MAX_BODY: usize = 64 * 1024;

/// A user to create.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    account_id: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    #[serde(default)]
    policies: Vec<serde_json::Value>,
}

/// A change to a user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChange {
    status: Option<String>,
    policies: Option<Vec<serde_json::Value>>,
}

fn describe(u: &User) -> serde_json::Value {
    let policies: Vec<serde_json::Value> =
        u.policies.iter().map(|p| serde_json::from_str(&p.text).unwrap_or(serde_json::Value::Null)).collect();
    serde_json::json!({
        "name": u.name,
        "account_id": u.account_id,
        "arn": u.arn(),
        "user_id": u.user_id,
        "access_key_id": u.access_key,
        "status": u.status.name(),
        "policies": policies,
    })
}

/// Parses policy documents given as JSON objects or strings.
fn parse_policies(name: &str, docs: &[serde_json::Value]) -> Result<Vec<Arc<Policy>>, String> {
    let texts: Vec<String> = docs
        .iter()
        .map(|d| match d {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    iam::parse_identity_policies(&format!("user {name}"), &texts)
}

/// `?account_id=` or the default account.
fn account_param(state: &AppState, req: &Request<ReqBody>) -> String {
    req.uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("account_id=")))
        .map(str::to_string)
        .unwrap_or_else(|| state.iam().default_account().to_string())
}

/// Serves `/users` (`rest` is what follows it in the path).
pub async fn handle(state: &AppState, req: Request<ReqBody>, rest: &str) -> Response<Body> {
    let iam = state.iam();
    match (req.method().clone(), rest) {
        (Method::GET, "") => {
            let all: Vec<serde_json::Value> = iam.users().iter().map(describe).collect();
            json(StatusCode::OK, serde_json::json!({ "users": all }))
        }
        (Method::POST, "") => {
            let new: NewUser = match read_json(req, MAX_BODY, "user").await {
                Ok(n) => n,
                Err(resp) => return resp,
            };
            create(state, new).await
        }
        (method, name) if name.starts_with('/') && name.len() > 1 => {
            let name = name[1..].to_string();
            let account = account_param(state, &req);
            let Some(user) = iam.user(&account, &name) else {
                return error(StatusCode::NOT_FOUND, &format!("no user {name} in account {account}"));
            };
            match method {
                Method::GET => json(StatusCode::OK, describe(&user)),
                Method::PATCH => {
                    let change: UserChange = match read_json(req, MAX_BODY, "user change").await {
                        Ok(c) => c,
                        Err(resp) => return resp,
                    };
                    change_user(state, user, change).await
                }
                Method::DELETE => {
                    // Its sessions end with it, in the store and then in memory.
                    let sessions = iam.session_keys(&user.user_id);
                    if let Err(e) = state.store.delete_user(&account, &name, sessions).await {
                        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
                    }
                    iam.remove_user(&account, &name);
                    tracing::info!(user = %name, account = %account, "user deleted");
                    json(StatusCode::OK, serde_json::json!({ "deleted": true }))
                }
                _ => error(StatusCode::METHOD_NOT_ALLOWED, "GET, PATCH or DELETE a user"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "no such admin endpoint"),
    }
}

async fn create(state: &AppState, new: NewUser) -> Response<Body> {
    let iam = state.iam();
    if let Err(e) = iam::validate_name(&new.name) {
        return error(StatusCode::BAD_REQUEST, &e);
    }
    let account = new.account_id.unwrap_or_else(|| iam.default_account().to_string());
    if !iam.has_account(&account) {
        return error(StatusCode::BAD_REQUEST, &format!("account {account} is not declared"));
    }
    if iam.user(&account, &new.name).is_some() {
        return error(StatusCode::CONFLICT, &format!("user {} already exists", new.name));
    }
    let keys = match (new.access_key, new.secret_key) {
        (Some(ak), Some(sk)) if !ak.is_empty() && !ak.contains('/') && !sk.is_empty() => Some((ak, sk)),
        (None, None) => None,
        _ => return error(StatusCode::BAD_REQUEST, "give both access_key (no '/') and secret_key, or neither"),
    };
    if let Some((ak, _)) = &keys {
        if iam.key_in_use(ak) {
            return error(StatusCode::CONFLICT, &format!("access key {ak} is in use"));
        }
    }
    let policies = match parse_policies(&new.name, &new.policies) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let user = iam::new_user(&account, &new.name, keys, policies, state.auth.clock.now().timestamp_millis());
    if let Err(e) = state.store.save_user(user.to_row()).await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    let mut body = describe(&user);
    body["secret_access_key"] = serde_json::Value::String(user.secret_key.clone());
    tracing::info!(user = %user.name, account = %user.account_id, "user created");
    iam.put_user(user);
    json(StatusCode::CREATED, body)
}

async fn change_user(state: &AppState, mut user: User, change: UserChange) -> Response<Body> {
    if let Some(s) = change.status {
        match Status::parse(&s) {
            Some(status) => user.status = status,
            None => return error(StatusCode::BAD_REQUEST, "status is Active or Inactive"),
        }
    }
    if let Some(docs) = change.policies {
        match parse_policies(&user.name, &docs) {
            Ok(p) => user.policies = p,
            Err(e) => return error(StatusCode::BAD_REQUEST, &e),
        }
    }
    if let Err(e) = state.store.save_user(user.to_row()).await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    tracing::info!(user = %user.name, status = user.status.name(), "user changed");
    let body = describe(&user);
    state.iam().put_user(user);
    json(StatusCode::OK, body)
}
