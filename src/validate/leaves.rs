//! The leaves of a serialisable configuration: every number, `None`, string, flag and unit
//! variant with its dotted path (`lorenz96.dt`, `sweep_lambdas[2]`), found by serialising the
//! value through a [`serde::Serializer`] that records instead of writing. This is how
//! [`check`](super::check) sees every field of a section, including ones added later
//! (docs/validation.md).

use serde::Serialize;
use serde::ser;
use std::fmt;

/// What a leaf holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A floating-point number.
    Float(f64),
    /// An integer (every integer type widened).
    Int(i128),
    /// An absent optional setting.
    None,
    /// Anything else: a string, a flag, a unit variant, a character, bytes.
    Other,
}

/// One leaf: its path below the section and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Dotted path (`lorenz96.dt`), with `[i]` for sequence elements (`dim_mults[1]`).
    pub path: String,
    /// The value.
    pub value: Value,
}

impl Leaf {
    /// The path with every `[i]` replaced by `[*]`, the form rules are written in.
    pub fn pattern(&self) -> String {
        let mut out = String::with_capacity(self.path.len());
        let mut in_index = false;
        for c in self.path.chars() {
            match c {
                '[' => {
                    in_index = true;
                    out.push_str("[*]");
                }
                ']' => in_index = false,
                _ if in_index => {}
                _ => out.push(c),
            }
        }
        out
    }
}

/// Every leaf of `value`, in serialisation order.
pub fn leaves<T: Serialize + ?Sized>(value: &T) -> Vec<Leaf> {
    let mut out = Vec::new();
    // Recording cannot fail: every method of `Walker` returns Ok.
    let _ = value.serialize(Walker { path: String::new(), out: &mut out });
    out
}

/// The never-raised error of [`Walker`].
#[derive(Debug)]
pub struct Never(String);

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Never {}
impl ser::Error for Never {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Never(msg.to_string())
    }
}

/// Serialiser recording leaves below `path`.
struct Walker<'a> {
    path: String,
    out: &'a mut Vec<Leaf>,
}

/// The state of a compound value being walked (struct, map, sequence, tuple).
struct Compound<'a> {
    path: String,
    out: &'a mut Vec<Leaf>,
    index: usize,
    key: Option<String>,
}

impl<'a> Walker<'a> {
    fn leaf(self, value: Value) -> Result<(), Never> {
        self.out.push(Leaf { path: self.path, value });
        Ok(())
    }
    fn compound(self) -> Compound<'a> {
        Compound { path: self.path, out: self.out, index: 0, key: None }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl Compound<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), Never> {
        v.serialize(Walker { path: join(&self.path, key), out: self.out })
    }
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        v.serialize(Walker { path, out: self.out })
    }
}

macro_rules! leaf_fns {
    ($($f:ident($t:ty) => $e:expr;)*) => {
        $(fn $f(self, v: $t) -> Result<(), Never> { let conv: fn($t) -> Value = $e; self.leaf(conv(v)) })*
    };
}

impl<'a> ser::Serializer for Walker<'a> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    leaf_fns! {
        serialize_bool(bool) => |_| Value::Other;
        serialize_i8(i8) => |v| Value::Int(v.into());
        serialize_i16(i16) => |v| Value::Int(v.into());
        serialize_i32(i32) => |v| Value::Int(v.into());
        serialize_i64(i64) => |v| Value::Int(v.into());
        serialize_i128(i128) => Value::Int;
        serialize_u8(u8) => |v| Value::Int(v.into());
        serialize_u16(u16) => |v| Value::Int(v.into());
        serialize_u32(u32) => |v| Value::Int(v.into());
        serialize_u64(u64) => |v| Value::Int(v.into());
        serialize_f32(f32) => |v| Value::Float(v.into());
        serialize_f64(f64) => Value::Float;
        serialize_char(char) => |_| Value::Other;
        serialize_str(&str) => |_| Value::Other;
        serialize_bytes(&[u8]) => |_| Value::Other;
    }
    fn serialize_u128(self, v: u128) -> Result<(), Never> {
        self.leaf(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn serialize_none(self) -> Result<(), Never> {
        self.leaf(Value::None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        self.leaf(Value::Other)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        self.leaf(Value::Other)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Never> {
        self.leaf(Value::Other)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(Walker { path: join(&self.path, variant), out: self.out })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Never> {
        Ok(self.compound())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Never> {
        Ok(self.compound())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Never> {
        Ok(self.compound())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Never> {
        let path = join(&self.path, variant);
        Ok(Compound { path, out: self.out, index: 0, key: None })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Never> {
        Ok(self.compound())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Never> {
        Ok(self.compound())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Never> {
        let path = join(&self.path, variant);
        Ok(Compound { path, out: self.out, index: 0, key: None })
    }
}

macro_rules! element_impl {
    ($($tr:ident :: $f:ident),*) => {$(
        impl ser::$tr for Compound<'_> {
            type Ok = ();
            type Error = Never;
            fn $f<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
                self.element(v)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        }
    )*};
}
element_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! field_impl {
    ($($tr:ident),*) => {$(
        impl ser::$tr for Compound<'_> {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), Never> {
                self.field(key, v)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        }
    )*};
}
field_impl!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Never> {
        self.key = Some(key_name(key));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        let key = self.key.take().unwrap_or_default();
        self.field(&key, v)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

/// A map key as text: a string as it is, anything else as its JSON.
fn key_name<T: Serialize + ?Sized>(key: &T) -> String {
    match serde_json::to_value(key) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
}
