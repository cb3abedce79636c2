//! Configuration validation: one mechanism for every numeric setting of every section
//! (docs/validation.md).
//!
//! A section type implements [`Ranges`]: its name and a declarative table of [`Rule`]s, one per
//! numeric field (`Rule::positive("lr")`, `Rule::range("beta1", 0.0, 1.0).open_above()`).
//! [`check`] serialises the value and visits every leaf ([`leaves`]): a float must be finite
//! wherever it is, even in a field no rule names, and a number with a rule must lie in its
//! range. The error names the field (`train.eps`), its range and the value given. Relations
//! between fields (`output_grid ≤ solver_grid`) stay in each type's `validate`, which calls
//! [`check`] first. [`uncovered`] lists numeric fields without a rule: the unit tests of every
//! section assert it is empty, so a field added later without a rule fails a test.
//!
//! Sizes that reach the allocator are bounded by [`memory::ensure_fits`], which names the field
//! and the estimate; derived lists that must not be empty where they are used (a reverse
//! schedule, a figure list) go through [`non_empty`].

pub mod leaves;
pub mod memory;

use crate::error::{Error, Result};
use leaves::{Leaf, Value};

/// What a rule asks of its field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A number in `lo … hi` (each end open or closed; infinite ends are unbounded).
    Range {
        /// Lower end.
        lo: f64,
        /// Whether `lo` itself is excluded.
        lo_open: bool,
        /// Upper end.
        hi: f64,
        /// Whether `hi` itself is excluded.
        hi_open: bool,
    },
    /// Anything (a name, a table of free-form settings): numbers inside must still be finite.
    Any,
    /// A nested section with its own rules (`[data.lorenz96]`), matched below `field`.
    Nested(&'static [Rule]),
}

/// One row of a section's range table: the field's path below the section (`dt`,
/// `lorenz96.dt`, `dim_mults[*]` for every element of a list), what it must be, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Path below the section; `[*]` matches any list index.
    pub field: &'static str,
    /// The requirement.
    pub kind: Kind,
    /// A short reason appended to the error (may be empty).
    pub why: &'static str,
}

const INF: f64 = f64::INFINITY;

impl Rule {
    const fn new(field: &'static str, lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> Self {
        Self { field, kind: Kind::Range { lo, lo_open, hi, hi_open }, why: "" }
    }
    /// Any finite number.
    pub const fn finite(field: &'static str) -> Self {
        Self::new(field, -INF, false, INF, false)
    }
    /// `x ≥ lo`.
    pub const fn at_least(field: &'static str, lo: f64) -> Self {
        Self::new(field, lo, false, INF, false)
    }
    /// `x > 0`.
    pub const fn positive(field: &'static str) -> Self {
        Self::new(field, 0.0, true, INF, false)
    }
    /// `lo ≤ x ≤ hi`.
    pub const fn range(field: &'static str, lo: f64, hi: f64) -> Self {
        Self::new(field, lo, false, hi, false)
    }
    /// Anything; numbers inside must be finite (free-form tables, names).
    pub const fn any(field: &'static str) -> Self {
        Self { field, kind: Kind::Any, why: "" }
    }
    /// A nested section checked by its own rules.
    pub const fn nested(field: &'static str, rules: &'static [Rule]) -> Self {
        Self { field, kind: Kind::Nested(rules), why: "" }
    }
    /// The same rule with its lower end excluded.
    pub const fn open_below(mut self) -> Self {
        if let Kind::Range { ref mut lo_open, .. } = self.kind {
            *lo_open = true;
        }
        self
    }
    /// The same rule with its upper end excluded.
    pub const fn open_above(mut self) -> Self {
        if let Kind::Range { ref mut hi_open, .. } = self.kind {
            *hi_open = true;
        }
        self
    }
    /// The same rule with a reason for the error message.
    pub const fn because(mut self, why: &'static str) -> Self {
        self.why = why;
        self
    }

    /// Whether this rule covers the leaf path `pattern`, and the rest of the path below it.
    fn matches<'p>(&self, pattern: &'p str) -> Option<&'p str> {
        let rest = pattern.strip_prefix(self.field)?;
        match self.kind {
            Kind::Range { .. } => rest.is_empty().then_some(rest),
            _ if rest.is_empty() => Some(rest),
            _ => rest.strip_prefix('.').or_else(|| rest.starts_with('[').then_some(rest)),
        }
    }
}

/// A section with a range table: implement this (two constants) and call [`check`] from the
/// type's `validate`. See docs/validation.md for adding a field.
pub trait Ranges: serde::Serialize {
    /// The section's dotted name in errors (`train`, `data.lorenz96`).
    const SECTION: &'static str;
    /// One rule per numeric field (and per optional field, even when its default is `None`).
    const RULES: &'static [Rule];
}

/// Checks every leaf of `value` against `T`'s rules: floats finite everywhere, numbers with a
/// rule inside its range. The error names `SECTION.field`.
pub fn check<T: Ranges>(value: &T) -> Result<()> {
    for leaf in leaves::leaves(value) {
        check_leaf(T::SECTION, T::RULES, &leaf.pattern(), &leaf)?;
    }
    Ok(())
}

fn check_leaf(section: &str, rules: &[Rule], pattern: &str, leaf: &Leaf) -> Result<()> {
    let field = || format!("{section}.{}", leaf.path);
    let x = match leaf.value {
        Value::Float(x) if !x.is_finite() => {
            return Err(Error::config(field(), format!("must be a finite number, got {x}")));
        }
        Value::Float(x) => x,
        Value::Int(i) => i as f64,
        Value::None | Value::Other => return Ok(()),
    };
    let Some((rule, rest)) = rules.iter().find_map(|r| r.matches(pattern).map(|rest| (r, rest)))
    else {
        return Ok(());
    };
    match rule.kind {
        Kind::Range { lo, lo_open, hi, hi_open } => {
            let below = if lo_open { x <= lo } else { x < lo };
            let above = if hi_open { x >= hi } else { x > hi };
            if below || above {
                let why =
                    if rule.why.is_empty() { String::new() } else { format!(" ({})", rule.why) };
                let range = describe(lo, lo_open, hi, hi_open);
                let value =
                    if let Value::Int(i) = leaf.value { i.to_string() } else { x.to_string() };
                return Err(Error::config(field(), format!("must be {range}, got {value}{why}")));
            }
            Ok(())
        }
        Kind::Any => Ok(()),
        Kind::Nested(inner) => check_leaf(section, inner, rest, leaf),
    }
}

/// A range in words: `≥ 1`, `> 0`, `in [0, 1)`, `finite`.
pub fn describe(lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> String {
    match (lo.is_finite(), hi.is_finite()) {
        (false, false) => "finite".into(),
        (true, false) => format!("{} {lo}", if lo_open { ">" } else { "≥" }),
        (false, true) => format!("{} {hi}", if hi_open { "<" } else { "≤" }),
        (true, true) => {
            let (l, r) = (if lo_open { '(' } else { '[' }, if hi_open { ')' } else { ']' });
            format!("in {l}{lo}, {hi}{r}")
        }
    }
}

/// The paths of `value`'s numeric or optional leaves that no rule of `T` covers (empty when
/// the table is complete; the sections' unit tests assert so).
pub fn uncovered<T: Ranges>(value: &T) -> Vec<String> {
    fn covered(rules: &[Rule], pattern: &str) -> bool {
        rules.iter().any(|r| match (r.matches(pattern), r.kind) {
            (Some(rest), Kind::Nested(inner)) => rest.is_empty() || covered(inner, rest),
            (m, _) => m.is_some(),
        })
    }
    leaves::leaves(value)
        .into_iter()
        .filter(|l| !matches!(l.value, Value::Other))
        .filter(|l| !covered(T::RULES, &l.pattern()))
        .map(|l| l.path)
        .collect()
}

/// Refuses an empty derived list (a reverse schedule, a figure list, a set of λ) where it is
/// used: `field` names the setting that made it empty and `why` what it would have meant.
pub fn non_empty<T>(field: &str, items: &[T], why: &str) -> Result<()> {
    if items.is_empty() { Err(Error::config(field, why)) } else { Ok(()) }
}

/// Refuses a non-finite float anywhere in a parsed TOML value (`inf`, `nan`), naming its dotted
/// path below `prefix`: the first line of defence for every file pdd reads, whatever section.
pub fn finite_toml(prefix: &str, value: &toml::Value) -> Result<()> {
    match value {
        toml::Value::Float(x) if !x.is_finite() => {
            Err(Error::config(prefix, format!("must be a finite number, got {x}")))
        }
        toml::Value::Table(t) => t.iter().try_for_each(|(k, v)| finite_toml(&dotted(prefix, k), v)),
        toml::Value::Array(a) => {
            a.iter().enumerate().try_for_each(|(i, v)| finite_toml(&format!("{prefix}[{i}]"), v))
        }
        _ => Ok(()),
    }
}

fn dotted(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

#[cfg(test)]
mod tests;
