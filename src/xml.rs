//! Request and response bodies in S3's XML: a small writer for responses and readers for the
//! request documents s3strict accepts (`CreateBucketConfiguration`, `Delete`). It knows nothing
//! of S3 errors: a document that does not parse is [`Malformed`], which the error module maps to
//! `MalformedXML`.

use bytes::Bytes;
use quick_xml::escape::{escape, partial_escape};
use quick_xml::events::Event;
use quick_xml::Reader;

/// A request document that is not well-formed XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not well-formed XML")
    }
}

impl std::error::Error for Malformed {}

/// S3's XML namespace for response documents.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Builds an XML document; text and attribute values are escaped.
pub struct XmlWriter {
    buf: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// A document starting with the XML declaration.
    pub fn new() -> Self {
        XmlWriter { buf: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name xmlns="…S3 namespace…">`, the root of S3's response documents.
    pub fn open_root(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.buf.push_str(S3_NS);
        self.buf.push_str("\">");
        self
    }

    /// `<name k="v" …>` with escaped attribute values.
    pub fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape(*v));
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`. Text escapes `&`, `<` and `>` only: S3 writes quotes in text as they
    /// are (`on resource: "arn:aws:s3:::b/k"` in its AccessDenied messages).
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.buf.push_str(&partial_escape(text));
        self.close(name)
    }

    /// Escaped text inside the element opened last.
    pub fn elem_text_only(&mut self, text: &str) -> &mut Self {
        self.buf.push_str(&partial_escape(text));
        self
    }

    /// The finished document.
    pub fn finish(self) -> Bytes {
        Bytes::from(self.buf)
    }
}

/// The deepest nesting accepted in a request document; S3's documents are at most five deep.
pub const MAX_DEPTH: usize = 32;
/// The most elements accepted in a request document (a CompleteMultipartUpload of 10 000 parts
/// with a checksum each has 40 001).
pub const MAX_ELEMENTS: usize = 100_000;

/// Reads a document into a flat list of (element path, text) pairs, e.g.
/// `("Delete/Object/Key", "a")`. Request documents are small and flat, so this is all the
/// structure the handlers need. Fails with [`Malformed`] on anything not well-formed, nested
/// deeper than [`MAX_DEPTH`] or with more than [`MAX_ELEMENTS`] elements, so that memory stays
/// linear in the document and bounded.
pub fn read_flat(body: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    let malformed = || Malformed;
    let mut reader = Reader::from_reader(body);
    // The current path, and where each open element's name starts in it.
    let mut path = String::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut saw_root = false;
    let push = |path: &str, name: &str, text: String, out: &mut Vec<(String, String)>| {
        if out.len() == MAX_ELEMENTS {
            return Err(Malformed);
        }
        let mut full = String::with_capacity(path.len() + name.len() + 1);
        full.push_str(path);
        if !path.is_empty() {
            full.push('/');
        }
        full.push_str(name);
        out.push((full, text));
        Ok(())
    };
    loop {
        match reader.read_event().map_err(|_| malformed())? {
            Event::Start(e) => {
                if starts.is_empty() && saw_root {
                    return Err(malformed());
                }
                if starts.len() == MAX_DEPTH {
                    return Err(malformed());
                }
                saw_root = true;
                let name = std::str::from_utf8(e.local_name().as_ref()).map_err(|_| malformed())?.to_string();
                starts.push(path.len());
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(&name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = std::str::from_utf8(e.local_name().as_ref()).map_err(|_| malformed())?.to_string();
                if starts.is_empty() {
                    if saw_root {
                        return Err(malformed());
                    }
                    saw_root = true;
                }
                push(&path, &name, String::new(), &mut out)?;
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|_| malformed())?;
                text.push_str(&t);
            }
            Event::CData(t) => {
                text.push_str(std::str::from_utf8(&t).map_err(|_| malformed())?);
            }
            Event::End(_) => {
                let start = starts.pop().ok_or_else(malformed)?;
                let full = std::mem::take(&mut path);
                let (parent, own) = full.split_at(start);
                let own = own.strip_prefix('/').unwrap_or(own);
                push(parent, own, std::mem::take(&mut text), &mut out)?;
                path = parent.to_string();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !starts.is_empty() || !saw_root {
        return Err(malformed());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_escapes_text() {
        let mut w = XmlWriter::new();
        w.open("Error").elem("Key", "a<&>\"b").close("Error");
        let s = String::from_utf8(w.finish().to_vec()).unwrap();
        assert!(s.ends_with("<Error><Key>a&lt;&amp;&gt;\"b</Key></Error>"), "{s}");
    }

    #[test]
    fn reads_delete_document() {
        let doc = br#"<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>"#;
        let flat = read_flat(doc).unwrap();
        let keys: Vec<_> = flat.iter().filter(|(p, _)| p == "Delete/Object/Key").map(|(_, v)| v.as_str()).collect();
        assert_eq!(keys, ["a&b", "c"]);
        assert!(flat.contains(&("Delete/Quiet".to_string(), "true".to_string())));
    }

    #[test]
    fn bounded_depth_and_size() {
        let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert!(read_flat(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(read_flat(deep(MAX_DEPTH + 1).as_bytes()).unwrap_err(), Malformed);
        assert_eq!(read_flat(deep(100_000).as_bytes()).unwrap_err(), Malformed);
        let wide = format!("<r>{}</r>", "<k/>".repeat(MAX_ELEMENTS));
        assert_eq!(read_flat(wide.as_bytes()).unwrap_err(), Malformed);
        let flat = read_flat(b"<r><a><b>x</b></a><c/></r>").unwrap();
        let paths: Vec<&str> = flat.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["r/a/b", "r/a", "r/c", "r"]);
    }

    #[test]
    fn rejects_malformed() {
        for doc in [&b"<Delete><Object>"[..], b"", b"<a></b>", b"<a/><b/>"] {
            assert_eq!(read_flat(doc).unwrap_err(), Malformed, "{doc:?}");
        }
    }
}
