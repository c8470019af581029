//! The compiled form's byte codec: what `sign` writes next to a bundle's JSON
//! and pages load instead of it (ARCHITECTURE.md, "Compile at sign time":
//! work done once at sign time is not done in every page view).
//!
//! Each compiled structure implements [`Wire`]: `put` appends it to a
//! [`Writer`], `take` reads it back from a [`Reader`]. The encoding is plain
//! and canonical — the same engine always writes the same bytes — so a host
//! can check a compiled form by encoding its own compile of the JSON and
//! comparing bytes:
//!
//! | value | bytes |
//! |---|---|
//! | unsigned integer, length, count, index | LEB128 varint |
//! | signed integer | zigzag, then varint |
//! | `f64` | 8 bytes, little-endian IEEE bits |
//! | `bool`, enum tag | one byte |
//! | string, byte string | length, then the bytes (strings must be UTF-8) |
//! | `Vec<T>`, `Box<[T]>` | count, then each element |
//! | `Option<T>` | `0`, or `1` then the value |
//! | struct | its fields in declaration order ([`wire_struct!`]) |
//! | map | sorted by key, as a list of pairs |
//!
//! Reading is bounds-checked at every step and never panics: a count larger
//! than the bytes left, a tag out of range, an index that points past its
//! table, bad UTF-8 or nesting deeper than [`MAX_DEPTH`] is
//! `PAYLOAD_MALFORMED`. The bytes are covered by a signed manifest's digest
//! before they are read, so a malformed form means a signing-tool bug or a
//! reader of another format version, never a shopper's input.

use crate::error::{Error, ErrorCode, Result};
use crate::time::{DurationMs, Timestamp};

/// Deepest nesting `take` follows (rule and template trees recurse): the
/// JSON compile path refuses rules nested deeper than 32 levels long before.
pub(crate) const MAX_DEPTH: u32 = 96;

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// One raw byte (tags, flags).
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// Raw bytes without a length (magic numbers, fixed-size arrays).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// An unsigned LEB128 varint.
    pub(crate) fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.buf.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.buf.push(n as u8);
    }

    /// A length or count.
    pub(crate) fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.raw(bytes);
    }

    /// Each item of `items`, after their count.
    pub(crate) fn seq<'t, T: Wire + 't>(&mut self, items: impl ExactSizeIterator<Item = &'t T>) {
        self.len(items.len());
        for item in items {
            item.put(self);
        }
    }
}

/// Reads values back, bounds-checked.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 0,
        }
    }

    /// The error for malformed bytes at the current position.
    pub(crate) fn malformed(&self, what: &str) -> Error {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("compiled form: {what} at byte {}", self.pos),
        )
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// Refuses trailing bytes after the last value.
    pub(crate) fn finish(&self) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(self.malformed("trailing bytes"))
        }
    }

    /// One raw byte.
    pub(crate) fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.malformed("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    /// `n` raw bytes.
    pub(crate) fn raw(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.malformed("unexpected end"))?;
        let bytes = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(bytes)
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits in 64 bits.
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(self.malformed("varint overflows 64 bits"));
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(self.malformed("varint longer than 10 bytes"))
    }

    /// A count of items each at least one byte long: never more than the
    /// bytes left, so a forged count cannot make a reader allocate more
    /// than the form's own size.
    pub(crate) fn len(&mut self) -> Result<usize> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.remaining())
            .ok_or_else(|| self.malformed("count larger than the bytes left"))
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.raw(n)
    }

    /// A length-prefixed UTF-8 string.
    pub(crate) fn str(&mut self) -> Result<&'a str> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|_| self.malformed("string is not UTF-8"))
    }

    /// An index that must be below `bound` (a table's length).
    pub(crate) fn index(&mut self, bound: usize) -> Result<usize> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n < bound)
            .ok_or_else(|| self.malformed("index out of range"))
    }

    /// An empty Vec for `n` items read next. The count is at most the bytes
    /// left, but an item may take far more memory than its one byte: reserve
    /// no more memory than the bytes left (a forged count then fails on its
    /// first missing item, having reserved little).
    pub(crate) fn vec_for<T>(&self, n: usize) -> Vec<T> {
        Vec::with_capacity(n.min(self.remaining() / std::mem::size_of::<T>().max(1)))
    }

    /// A count, then that many items.
    pub(crate) fn seq<T: Wire>(&mut self) -> Result<Vec<T>> {
        let n = self.len()?;
        let mut items = self.vec_for(n);
        for _ in 0..n {
            items.push(T::take(self)?);
        }
        Ok(items)
    }

    /// Runs `read` one nesting level deeper, refusing more than [`MAX_DEPTH`]
    /// levels (recursive structures call this around their children).
    pub(crate) fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.malformed("nesting deeper than the compiled form allows"));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }
}

/// A value with a compiled-form encoding.
pub(crate) trait Wire: Sized {
    /// Appends `self`.
    fn put(&self, w: &mut Writer);
    /// Reads a value written by [`Wire::put`].
    ///
    /// # Errors
    /// `PAYLOAD_MALFORMED` for bytes `put` never writes.
    fn take(r: &mut Reader<'_>) -> Result<Self>;
}

/// [`Wire`] for a struct, field by field in the order listed. Every field
/// must be listed: `take` builds `Self { .. }` from them, so a field added
/// to the struct and not here does not compile.
macro_rules! wire_struct {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl $crate::wire::Wire for $ty {
            fn put(&self, w: &mut $crate::wire::Writer) {
                $( $crate::wire::Wire::put(&self.$field, w); )*
            }
            fn take(r: &mut $crate::wire::Reader<'_>) -> $crate::error::Result<Self> {
                Ok(Self { $( $field: $crate::wire::Wire::take(r)?, )* })
            }
        }
    };
}
pub(crate) use wire_struct;

/// [`Wire`] for a field-less enum, one byte per variant as listed.
macro_rules! wire_enum {
    ($ty:ty { $($variant:ident = $tag:literal),* $(,)? }) => {
        impl $crate::wire::Wire for $ty {
            fn put(&self, w: &mut $crate::wire::Writer) {
                w.byte(match self { $( Self::$variant => $tag, )* });
            }
            fn take(r: &mut $crate::wire::Reader<'_>) -> $crate::error::Result<Self> {
                match r.byte()? {
                    $( $tag => Ok(Self::$variant), )*
                    _ => Err(r.malformed(concat!("unknown ", stringify!($ty), " tag"))),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

impl Wire for u8 {
    fn put(&self, w: &mut Writer) {
        w.byte(*self);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.byte()
    }
}

macro_rules! wire_unsigned {
    ($($ty:ty),*) => {$(
        impl Wire for $ty {
            fn put(&self, w: &mut Writer) {
                w.varint(*self as u64);
            }
            fn take(r: &mut Reader<'_>) -> Result<Self> {
                let n = r.varint()?;
                <$ty>::try_from(n).map_err(|_| r.malformed(concat!("integer too large for ", stringify!($ty))))
            }
        }
    )*};
}
wire_unsigned!(u16, u32, u64, usize);

impl Wire for i64 {
    fn put(&self, w: &mut Writer) {
        w.varint(((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.varint()?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
}

impl Wire for f64 {
    fn put(&self, w: &mut Writer) {
        w.raw(&self.to_bits().to_le_bytes());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let bytes = <[u8; 8]>::try_from(r.raw(8)?).map_err(|_| r.malformed("f64"))?;
        Ok(f64::from_bits(u64::from_le_bytes(bytes)))
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(r.malformed("bool is neither 0 nor 1")),
        }
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.bytes(self.as_bytes());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.str().map(str::to_owned)
    }
}

impl Wire for Box<str> {
    fn put(&self, w: &mut Writer) {
        w.bytes(self.as_bytes());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.str().map(Box::from)
    }
}

impl<const N: usize> Wire for [u8; N] {
    fn put(&self, w: &mut Writer) {
        w.raw(self);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        <[u8; N]>::try_from(r.raw(N)?).map_err(|_| r.malformed("fixed-size bytes"))
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.seq(self.iter());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.seq()
    }
}

impl<T: Wire> Wire for Box<[T]> {
    fn put(&self, w: &mut Writer) {
        w.seq(self.iter());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.seq().map(Vec::into_boxed_slice)
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        r.nested(T::take).map(Box::new)
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(value) => {
                w.byte(1);
                value.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(None),
            1 => T::take(r).map(Some),
            _ => Err(r.malformed("option tag is neither 0 nor 1")),
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok((A::take(r)?, B::take(r)?))
    }
}

impl Wire for Timestamp {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        i64::take(r).map(Self)
    }
}

impl Wire for DurationMs {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        u64::take(r).map(Self)
    }
}

/// `value`'s bytes (tests build and tamper with encodings).
#[cfg(test)]
pub(crate) fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut w = Writer::new();
    value.put(&mut w);
    w.into_bytes()
}

/// A value read from all of `bytes`: trailing bytes are refused.
#[cfg(test)]
pub(crate) fn decode<T: Wire>(bytes: &[u8]) -> Result<T> {
    let mut r = Reader::new(bytes);
    let value = T::take(&mut r)?;
    r.finish()?;
    Ok(value)
}

#[cfg(test)]
mod tests;
