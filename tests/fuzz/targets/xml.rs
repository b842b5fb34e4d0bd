//! Every XML request document: the flat reader, then each document's parser (Delete,
//! CompleteMultipartUpload, CORSConfiguration, AccessControlPolicy).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use s3strict::access::acl::Acl;
use s3strict::iam::Iam;
use s3strict::xml::read_flat;

static IAM: LazyLock<Iam> = LazyLock::new(|| Iam::single("AKIAIOSFODNN7EXAMPLE", "secret"));

fuzz_target!(|data: &[u8]| {
    if let Ok(flat) = read_flat(data) {
        let _ = flat.iter().filter(|(p, _)| *p == "Delete/Object/Key").count();
        let _ = flat.last();
    }
    let _ = s3strict::s3::multipart::parse_complete(data);
    let _ = s3strict::s3::cors::parse_config(data);
    let _ = Acl::from_xml(data, &IAM);
});
