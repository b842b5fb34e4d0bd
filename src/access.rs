//! Authorization: the one place that decides whether an authenticated principal may perform a
//! routed operation. Today every signed request of a known key may do everything and anonymous
//! requests may do nothing; identities, policies and ACLs decide here as they arrive.

use crate::auth::Verified;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::Routed;
use crate::state::AppState;

/// Whether `verified` may perform `routed`; S3's `AccessDenied` when not. A request whose
/// routing failed is still judged here, so an anonymous one is refused before its routing error
/// is told, as S3 does.
pub async fn authorize(_state: &AppState, verified: &Verified, _routed: &Routed) -> S3Result<()> {
    if verified.access_key.is_none() {
        return Err(S3Error::new(ErrorCode::AccessDenied));
    }
    Ok(())
}
