//! `pdd diffusion table` / `pdd diffusion ladder` through the real binary.

use std::process::Command;

fn pdd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().expect("pdd runs")
}

#[test]
fn table_prints_sigma2_matching_the_library() {
    for (preset, alpha, dims) in
        [("lorenz96-paper", 0.1, vec![128]), ("kolmogorov-paper", 0.3, vec![40, 40])]
    {
        let out = pdd(&[
            "diffusion",
            "table",
            "--preset",
            preset,
            "--lambda",
            "0,0.001,0.2,1",
            "--modes",
            "3",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let grid = pdd::spectral::Grid::new(&dims, std::f64::consts::TAU).unwrap();
        let p = pdd::diffusion::ForwardProcess::builder().grid(grid).alpha(alpha).build().unwrap();
        let rows: Vec<Vec<&str>> =
            text.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows.len(), 4, "{text}");
        assert!(text.lines().nth(1).unwrap().contains("Â(k=2)"), "{text}");
        for (row, index) in rows.iter().zip([0usize, 1, 200, 999]) {
            assert_eq!(row[1].parse::<usize>().unwrap(), index);
            let s2: f64 = row[2].parse().unwrap();
            assert!(
                (s2 - p.sigma2(index)).abs() < 1e-6 * p.sigma2(index),
                "{preset} {index}: {s2}"
            );
            assert_eq!(row.len(), 3 + 2 * 3);
            let a1: f64 = row[4].parse().unwrap();
            assert!((a1 - p.damping(index)[1] as f64).abs() < 1e-6);
        }
    }
    let out = pdd(&["diffusion", "table", "--preset", "lorenz96-paper", "--lambda", "1.5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[0, 1]"));
    let out = pdd(&["diffusion", "table", "--preset", "nope"]);
    assert!(!out.status.success());
}

#[test]
fn ladder_writes_svg_and_png_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("ladder.svg");
    let s = svg.to_str().unwrap();
    let out = pdd(&["diffusion", "ladder", "--preset", "kolmogorov-paper", "--out", s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("λ = 0.5") && text.contains("time-averaged spatial PSD"));
    let out = pdd(&["diffusion", "ladder", "--preset", "kolmogorov-paper", "--out", s]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = pdd(&[
        "diffusion",
        "ladder",
        "--preset",
        "lorenz96-paper",
        "--out",
        s,
        "--overwrite",
        "--no-noise",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("noise-free"));
    let png = dir.path().join("ladder.png");
    let out =
        pdd(&["diffusion", "ladder", "--preset", "lorenz96-quick", "--out", png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
}
