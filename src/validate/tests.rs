use super::*;
use serde::Serialize;

#[derive(Serialize)]
struct Inner {
    dt: f64,
    n: usize,
}

#[derive(Serialize)]
struct Section {
    lr: f64,
    beta: f64,
    steps: usize,
    list: Vec<f64>,
    maybe: Option<f64>,
    name: String,
    inner: Inner,
    free: toml::Table,
}

const INNER: &[Rule] = &[Rule::positive("dt"), Rule::at_least("n", 1.0)];

impl Ranges for Section {
    const SECTION: &'static str = "sec";
    const RULES: &'static [Rule] = &[
        Rule::positive("lr").because("a step size"),
        Rule::range("beta", 0.0, 1.0).open_above(),
        Rule::at_least("steps", 1.0),
        Rule::range("list[*]", 0.0, 1.0),
        Rule::positive("maybe"),
        Rule::nested("inner", INNER),
        Rule::any("free"),
    ];
}

fn good() -> Section {
    Section {
        lr: 1e-3,
        beta: 0.9,
        steps: 3,
        list: vec![0.0, 0.5],
        maybe: None,
        name: "x".into(),
        inner: Inner { dt: 0.1, n: 1 },
        free: toml::from_str("a = 1.5\n[b]\nc = 2\n").unwrap(),
    }
}

fn err(s: &Section) -> String {
    check(s).unwrap_err().to_string()
}

#[test]
fn leaves_have_dotted_paths_and_patterns() {
    let l = leaves::leaves(&good());
    let paths: Vec<_> = l.iter().map(|l| l.path.as_str()).collect();
    assert!(paths.contains(&"list[1]") && paths.contains(&"inner.dt"), "{paths:?}");
    assert!(paths.contains(&"free.b.c") && paths.contains(&"maybe"), "{paths:?}");
    let list1 = l.iter().find(|l| l.path == "list[1]").unwrap();
    assert_eq!(list1.pattern(), "list[*]");
    assert_eq!(list1.value, leaves::Value::Float(0.5));
}

#[test]
fn good_values_pass_and_every_field_is_covered() {
    check(&good()).unwrap();
    assert!(uncovered(&good()).is_empty(), "{:?}", uncovered(&good()));
}

#[test]
fn each_rule_names_its_field_range_and_value() {
    let e = err(&Section { lr: 0.0, ..good() });
    assert!(e.contains("`sec.lr`") && e.contains("> 0") && e.contains("a step size"), "{e}");
    let e = err(&Section { beta: 1.0, ..good() });
    assert!(e.contains("`sec.beta`") && e.contains("in [0, 1)") && e.contains("got 1"), "{e}");
    let e = err(&Section { steps: 0, ..good() });
    assert!(e.contains("`sec.steps`") && e.contains("≥ 1"), "{e}");
    let e = err(&Section { list: vec![0.5, 2.0], ..good() });
    assert!(e.contains("`sec.list[1]`"), "{e}");
    let e = err(&Section { maybe: Some(-1.0), ..good() });
    assert!(e.contains("`sec.maybe`"), "{e}");
    let e = err(&Section { inner: Inner { dt: 0.1, n: 0 }, ..good() });
    assert!(e.contains("`sec.inner.n`"), "{e}");
}

#[test]
fn non_finite_floats_are_refused_everywhere_even_without_a_rule() {
    for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
        let e = err(&Section { lr: bad, ..good() });
        assert!(e.contains("`sec.lr`") && e.contains("finite"), "{e}");
        let mut s = good();
        s.free.insert("x".into(), toml::Value::Float(bad));
        let e = err(&s);
        assert!(e.contains("`sec.free.x`") && e.contains("finite"), "{e}");
    }
    let e = finite_toml("", &toml::from_str::<toml::Value>("[t]\na = [1.0, inf]\n").unwrap());
    assert!(e.unwrap_err().to_string().contains("`t.a[1]`"));
}

#[test]
fn a_field_without_a_rule_is_reported_uncovered() {
    #[derive(Serialize)]
    struct Partial {
        a: f64,
        b: Option<usize>,
        c: bool,
    }
    impl Ranges for Partial {
        const SECTION: &'static str = "p";
        const RULES: &'static [Rule] = &[Rule::finite("a")];
    }
    assert_eq!(uncovered(&Partial { a: 1.0, b: None, c: true }), vec!["b".to_string()]);
}

#[test]
fn ranges_read_as_words() {
    assert_eq!(describe(0.0, true, INF, false), "> 0");
    assert_eq!(describe(1.0, false, INF, false), "≥ 1");
    assert_eq!(describe(0.0, false, 1.0, true), "in [0, 1)");
    assert_eq!(describe(-INF, false, INF, false), "finite");
}

#[test]
fn memory_bound_names_the_field() {
    let e = memory::ensure_fits("model.dim", "the weights", 1e30).unwrap_err().to_string();
    assert!(e.contains("`model.dim`") && e.contains("the weights"), "{e}");
    assert!(memory::ensure_fits("x", "y", 1e3).is_ok());
    assert_eq!(memory::human(1.5e9), "1.5 GB");
}

/// Every numeric field of every section type has a rule: a field added later without one
/// fails here (docs/validation.md, "Adding a field").
#[test]
fn every_section_type_has_a_rule_for_every_numeric_field() {
    use crate::presets::Preset;
    fn assert_covered<T: Ranges>(value: &T) {
        let missing = uncovered(value);
        assert!(missing.is_empty(), "[{}] has no rule for {missing:?}", T::SECTION);
        check(value).unwrap_or_else(|e| panic!("[{}]: {e}", T::SECTION));
    }
    for name in Preset::names() {
        let p = Preset::named(name).unwrap();
        let mut data: crate::systems::DataConfig = p.section("data").unwrap();
        data.lorenz96 = Some(Default::default());
        data.kolmogorov = Some(Default::default());
        assert_covered(&data);
        let eval: crate::eval::EvalConfig =
            if p.has_section("eval") { p.section("eval").unwrap() } else { Default::default() };
        assert_covered(&crate::eval::EvalConfig { generation_samples: Some(3), ..eval });
        let ddpm = crate::baseline::DdpmConfig::from_preset(&p).unwrap();
        assert_covered(&ddpm);
    }
    assert_covered(&crate::ablation::AblationOptions::default());
}
