//! Figures: well-formed SVG with the expected text, PNG without system fonts, errors. Needs the
//! `png` feature (on by default), whose resvg also parses the SVG here.
#![cfg(feature = "png")]

use ndarray::{Array2, Axis, Ix2};
use pdd::diffusion::{ForwardProcess, synthetic_trajectory};
use pdd::metrics::{LambdaSweep, MeanStd};
use pdd::plot::{
    Figure, HeatmapOptions, HeatmapPanel, LadderOptions, LineOptions, Series, field_heatmap,
    heatmap_grid, hovmoller, ladder_figure, line_plot, loss_curve, metric_vs_lambda_plot, psd_plot,
};
use pdd::spectral::Grid;
use resvg::{tiny_skia, usvg};

/// Parses the SVG with a real XML/SVG parser (usvg) and returns all text content.
fn parse(fig: &Figure) -> String {
    usvg::Tree::from_str(fig.svg(), &usvg::Options::default()).expect("well-formed SVG");
    let doc = fig.svg();
    assert!(doc.trim_start().starts_with("<svg") && doc.trim_end().ends_with("</svg>"));
    // text nodes: everything between '>' and '<' that is not whitespace
    doc.split('<')
        .filter_map(|tag| tag.split_once('>').map(|(_, text)| text.trim()))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.lines().any(|l| l.contains(n)), "missing text `{n}` in:\n{text}");
    }
}

#[test]
fn line_plot_has_title_axes_and_series_names() {
    let series = vec![
        Series::new("physics", vec![1.0, 2.0, 4.0, 8.0], vec![1.0, 0.5, 0.2, 0.05]),
        Series::new("surrogate <PDD>", vec![1.0, 2.0, 4.0, 8.0], vec![1.1, 0.4, 0.25, 0.04])
            .with_spread(vec![0.1; 4]),
    ];
    let fig = psd_plot(&series, "PSD at λ = 0").unwrap();
    let text = parse(&fig);
    assert_has(
        &text,
        &["PSD at λ = 0", "wavenumber |k|", "PSD", "physics", "surrogate &lt;PDD&gt;"],
    );
    let opts = LineOptions {
        title: "linear".into(),
        x_label: "a".into(),
        y_label: "b".into(),
        ..Default::default()
    };
    let text = parse(&line_plot(&series, &opts).unwrap());
    assert_has(&text, &["linear", "physics"]);
}

#[test]
fn loss_and_metric_plots() {
    let steps: Vec<f64> = (0..50).map(|s| s as f64 * 10.0).collect();
    let loss: Vec<f64> = steps.iter().map(|s| 1.0 / (1.0 + s)).collect();
    let fig = loss_curve(&[Series::new("train", steps.clone(), loss)], "training loss").unwrap();
    assert_has(&parse(&fig), &["training loss", "step", "loss", "train"]);
    let sweep = LambdaSweep {
        lambdas: vec![0.0, 0.1, 0.2],
        indices: vec![0, 100, 200],
        values: vec![
            MeanStd { mean: 0.1, std: 0.01 },
            MeanStd { mean: 0.2, std: 0.02 },
            MeanStd::exact(0.4),
        ],
    };
    let fig = metric_vs_lambda_plot(&[("PDD", &sweep)], "spectral error").unwrap();
    assert_has(&parse(&fig), &["spectral error vs λ", "λ", "PDD"]);
}

#[test]
fn heatmaps_embed_images_and_show_labels() {
    let grid = Grid::line(64);
    let u = synthetic_trajectory(&grid, 1, 32, 1.0, 0.9, 1).unwrap();
    let field = u.index_axis(Axis(0), 0).into_dimensionality::<Ix2>().unwrap();
    let fig = hovmoller(field, 0.05, "Hovmöller of X").unwrap();
    let text = parse(&fig);
    assert_has(&text, &["Hovmöller of X", "grid point", "time", "value"]);
    assert_eq!(fig.svg().matches("<image").count(), 2, "panel + colour bar");
    assert!(fig.svg().contains("data:image/png;base64,"));

    let g2 = Grid::plane(20, 30);
    let v = synthetic_trajectory(&g2, 1, 4, 2.0, 0.5, 2).unwrap();
    let frame = |f: usize| {
        v.index_axis(Axis(0), 0)
            .index_axis(Axis(0), f)
            .into_dimensionality::<Ix2>()
            .unwrap()
            .to_owned()
    };
    let fig = field_heatmap(frame(0).view(), "vorticity").unwrap();
    assert_has(&parse(&fig), &["vorticity", "x", "y"]);
    let panels: Vec<HeatmapPanel> =
        (0..4).map(|f| HeatmapPanel::new(format!("frame {f}"), frame(f).view())).collect();
    let opts = HeatmapOptions {
        title: Some("frames".into()),
        columns: 2,
        colorbar_label: "ζ".into(),
        ..Default::default()
    };
    let fig = heatmap_grid(&panels, &opts).unwrap();
    assert_has(&parse(&fig), &["frames", "frame 0", "frame 3", "ζ"]);
    assert_eq!(fig.svg().matches("<image").count(), 5);
    assert_eq!(fig.size(), (2 * 300 + 100, 2 * 260 + 36));
}

#[test]
fn ladder_figures_for_both_dimensions() {
    for (grid, alpha, frames) in [(Grid::line(128), 0.1, 16), (Grid::plane(40, 40), 0.3, 2)] {
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(alpha).build().unwrap();
        let u = synthetic_trajectory(&grid, 2, frames, grid.ndim() as f64, 0.8, 3).unwrap();
        let fig = ladder_figure(&p, &u.view(), 1, &LadderOptions::default()).unwrap();
        let text = parse(&fig);
        assert_has(
            &text,
            &[
                "λ = 0",
                "λ = 0.1",
                "λ = 0.2",
                "λ = 0.5",
                "λ = 1",
                "time-averaged spatial PSD",
                "channel 1",
            ],
        );
        assert_eq!(fig.svg().matches("<image").count(), 6);
        let opts = LadderOptions { noise: false, lambdas: vec![0.0, 0.3], ..Default::default() };
        assert_has(
            &parse(&ladder_figure(&p, &u.view(), 0, &opts).unwrap()),
            &["noise-free", "λ = 0.3"],
        );
        // errors
        assert!(ladder_figure(&p, &u.view(), 2, &LadderOptions::default()).is_err());
        let bad = LadderOptions { lambdas: vec![0.0, 1.5], ..Default::default() };
        assert!(ladder_figure(&p, &u.view(), 0, &bad).is_err());
        let none = LadderOptions { lambdas: vec![], ..Default::default() };
        assert!(ladder_figure(&p, &u.view(), 0, &none).is_err());
        let wrong = synthetic_trajectory(&Grid::line(64), 1, 2, 1.0, 0.0, 0).unwrap();
        assert!(ladder_figure(&p, &wrong.view(), 0, &LadderOptions::default()).is_err());
    }
}

#[test]
fn bad_figure_input_is_an_error() {
    assert!(psd_plot(&[], "empty").is_err());
    let e = line_plot(&[Series::new("a", vec![1.0, 2.0], vec![1.0])], &LineOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("`a`"), "{e}");
    let spread = Series::new("s", vec![1.0, 2.0], vec![1.0, 2.0]).with_spread(vec![0.1]);
    assert!(line_plot(&[spread], &LineOptions::default()).is_err());
    // nothing positive to draw on log axes
    let e = psd_plot(&[Series::new("zero", vec![0.0, 1.0], vec![1.0, 0.0])], "t").unwrap_err();
    assert!(e.to_string().contains("logarithmic"), "{e}");
    assert!(
        line_plot(&[Series::new("nan", vec![f64::NAN], vec![1.0])], &LineOptions::default())
            .is_err()
    );
    assert!(heatmap_grid(&[], &HeatmapOptions::default()).is_err());
    let empty = Array2::<f32>::zeros((0, 3));
    assert!(
        heatmap_grid(&[HeatmapPanel::new("e", empty.view())], &HeatmapOptions::default()).is_err()
    );
    let nan = Array2::<f32>::from_elem((2, 2), f32::NAN);
    assert!(
        heatmap_grid(&[HeatmapPanel::new("n", nan.view())], &HeatmapOptions::default()).is_err()
    );
    let ok = Array2::<f32>::zeros((2, 2));
    let bad_range = HeatmapPanel::new("r", ok.view()).with_ranges((1.0, 1.0), (0.0, 1.0));
    assert!(heatmap_grid(&[bad_range], &HeatmapOptions::default()).is_err());
    let fixed = HeatmapOptions { range: Some((1.0, -1.0)), ..Default::default() };
    assert!(heatmap_grid(&[HeatmapPanel::new("z", ok.view())], &fixed).is_err());
    assert!(hovmoller(ok.view(), 0.0, "dt").is_err());
}

#[test]
fn png_renders_text_with_the_embedded_font_and_saving_is_safe() {
    let fig = psd_plot(&[Series::new("a", vec![1.0, 10.0], vec![1.0, 0.1])], "TITLE TEXT").unwrap();
    let png = fig.to_png(1.0).unwrap();
    let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!((pixmap.width(), pixmap.height()), fig.size());
    // the caption row holds dark text pixels (no system font is loaded by `to_png`)
    let w = pixmap.width() as usize;
    let dark =
        pixmap.pixels()[..w * 30].iter().filter(|p| p.red() < 100 && p.green() < 100).count();
    assert!(dark > 50, "no text rendered in the title band ({dark} dark pixels)");

    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("f.svg");
    fig.save(&svg).unwrap();
    assert_eq!(std::fs::read_to_string(&svg).unwrap(), fig.svg());
    assert_eq!(pdd::plot::Figure::open(&svg).unwrap(), fig, "a saved figure reopens unchanged");
    std::fs::write(dir.path().join("bad.svg"), "<html></html>").unwrap();
    assert!(pdd::plot::Figure::open(dir.path().join("bad.svg")).is_err());
    std::fs::remove_file(dir.path().join("bad.svg")).unwrap();
    let e = fig.save(&svg).unwrap_err();
    assert!(matches!(e, pdd::Error::Exists(_)), "{e}");
    fig.save_overwrite(&svg).unwrap();
    let png_path = dir.path().join("f.png");
    fig.save(&png_path).unwrap();
    let bytes = std::fs::read(&png_path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(tiny_skia::Pixmap::decode_png(&bytes).unwrap().width(), 2 * fig.size().0);
    // no temporary files left behind
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    assert!(fig.save(dir.path().join("missing/f.svg")).is_err());
    assert!(fig.to_png(0.0).is_err());
}

#[test]
fn heatmap_png_shows_the_embedded_image() {
    let mut a = Array2::<f32>::zeros((4, 4));
    a.fill(1.0);
    let opts = HeatmapOptions { range: Some((-1.0, 1.0)), ..Default::default() };
    let fig = heatmap_grid(&[HeatmapPanel::new("red", a.view())], &opts).unwrap();
    let pixmap = tiny_skia::Pixmap::decode_png(&fig.to_png(1.0).unwrap()).unwrap();
    // the centre of the panel is the top colour of the diverging map (dark red #67001f)
    let (w, h) = (pixmap.width(), pixmap.height());
    let p = pixmap.pixel((w - 100) / 2, h / 2).unwrap();
    assert_eq!((p.red(), p.green(), p.blue()), (0x67, 0x00, 0x1f));
}

#[test]
fn evcxr_display_protocol() {
    let fig = psd_plot(&[Series::new("a", vec![1.0, 10.0], vec![1.0, 0.1])], "t").unwrap();
    let c = fig.evcxr_content();
    assert!(c.starts_with("EVCXR_BEGIN_CONTENT text/html\n<svg"));
    assert!(c.ends_with("</svg>\nEVCXR_END_CONTENT"));
}

#[test]
fn tiny_sizes_are_errors_not_panics() {
    let s = [Series::new("a", vec![1.0, 2.0], vec![1.0, 2.0])];
    assert!(line_plot(&s, &LineOptions { size: (0, 0), ..Default::default() }).is_err());
    let a = Array2::<f32>::zeros((2, 2));
    let o = HeatmapOptions { panel_size: (10, 300), ..Default::default() };
    assert!(heatmap_grid(&[HeatmapPanel::new("a", a.view())], &o).is_err());
}
