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
        Self::with_capacity(0)
    }

    /// A document whose text is expected to take about `bytes`, allocated once (a listing page of
    /// 1 000 keys grew through a dozen reallocations).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut w = XmlWriter { buf: String::with_capacity(bytes) };
        w.buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        w
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

    /// `<name>…</name>` with the text `write` appends, which must need no escaping (no `&`, `<`
    /// or `>`): URL-encoded names, dates, numbers.
    pub fn elem_with(&mut self, name: &str, write: impl FnOnce(&mut String)) -> &mut Self {
        self.open(name);
        write(&mut self.buf);
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
/// The most bytes of element paths and texts kept from one document. Paths repeat their
/// ancestors' names, so without this bound long names nested deep would cost memory quadratic
/// in the document; S3's largest documents need about 2 MiB.
pub const MAX_FLAT_BYTES: usize = 4 * 1024 * 1024;

/// A request document as (element path, text) pairs in document order (children before their
/// parent), e.g. `("Delete/Object/Key", "a")`, kept in one buffer.
#[derive(Debug, Default)]
pub struct Flat {
    buf: String,
    /// Per element: where its path starts, where its text starts (the path's end) and ends.
    entries: Vec<[u32; 3]>,
}

impl Flat {
    fn entry(&self, e: &[u32; 3]) -> (&str, &str) {
        let [p, t, end] = e.map(|i| i as usize);
        (&self.buf[p..t], &self.buf[t..end])
    }

    /// Every (path, text) pair, in document order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|e| self.entry(e))
    }

    /// The first pair (the first element to close).
    pub fn first(&self) -> Option<(&str, &str)> {
        self.entries.first().map(|e| self.entry(e))
    }

    /// The last pair: the root element.
    pub fn last(&self) -> Option<(&str, &str)> {
        self.entries.last().map(|e| self.entry(e))
    }

    fn push(&mut self, path: &str, name: &str, text: &str) -> Result<(), Malformed> {
        let added = path.len() + 1 + name.len() + text.len();
        if self.entries.len() == MAX_ELEMENTS || self.buf.len() + added > MAX_FLAT_BYTES {
            return Err(Malformed);
        }
        let start = self.buf.len() as u32;
        self.buf.push_str(path);
        if !path.is_empty() {
            self.buf.push('/');
        }
        self.buf.push_str(name);
        let text_start = self.buf.len() as u32;
        self.buf.push_str(text);
        self.entries.push([start, text_start, self.buf.len() as u32]);
        Ok(())
    }
}

/// Reads a document into its [`Flat`] form. Request documents are small and flat, so this is all
/// the structure the handlers need. Fails with [`Malformed`] on anything not well-formed, nested
/// deeper than [`MAX_DEPTH`], with more than [`MAX_ELEMENTS`] elements or more than
/// [`MAX_FLAT_BYTES`] of paths and texts, so that memory stays linear in the document and bounded.
pub fn read_flat(body: &[u8]) -> Result<Flat, Malformed> {
    let malformed = || Malformed;
    let mut reader = Reader::from_reader(body);
    // The current path, and where each open element's name starts in it.
    let mut path = String::new();
    let mut starts: Vec<usize> = Vec::new();
    // Sized once (pages are only touched as they fill): growing by copies would double the peak.
    let mut out = Flat {
        buf: String::with_capacity(MAX_FLAT_BYTES.min(body.len().saturating_mul(2))),
        entries: Vec::with_capacity(MAX_ELEMENTS.min(body.len() / 4 + 1)),
    };
    let mut text = String::new();
    let mut saw_root = false;
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
                out.push(&path, &name, "")?;
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|_| malformed())?;
                if text.len() + t.len() > MAX_FLAT_BYTES {
                    return Err(malformed());
                }
                text.push_str(&t);
            }
            Event::CData(t) => {
                text.push_str(std::str::from_utf8(&t).map_err(|_| malformed())?);
            }
            Event::End(_) => {
                let start = starts.pop().ok_or_else(malformed)?;
                let (parent, own) = path.split_at(start);
                let own = own.strip_prefix('/').unwrap_or(own);
                out.push(parent, own, &text)?;
                text.clear();
                path.truncate(start);
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
        let keys: Vec<_> = flat.iter().filter(|(p, _)| *p == "Delete/Object/Key").map(|(_, v)| v).collect();
        assert_eq!(keys, ["a&b", "c"]);
        assert!(flat.iter().any(|e| e == ("Delete/Quiet", "true")));
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
        let paths: Vec<&str> = flat.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["r/a/b", "r/a", "r/c", "r"]);
        // Long names nested deep: the paths kept are bounded, not the square of the document.
        let long = "n".repeat(60_000);
        let prefix: String = (0..30).map(|_| format!("<{long}>")).collect();
        let suffix: String = (0..30).map(|_| format!("</{long}>")).collect();
        let doc = format!("{prefix}{}{suffix}", "<a/>".repeat(50_000));
        assert_eq!(read_flat(doc.as_bytes()).unwrap_err(), Malformed);
    }

    #[test]
    fn rejects_malformed() {
        for doc in [&b"<Delete><Object>"[..], b"", b"<a></b>", b"<a/><b/>"] {
            assert_eq!(read_flat(doc).unwrap_err(), Malformed, "{doc:?}");
        }
    }
}
