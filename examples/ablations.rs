//! What `notebooks/ablations.ipynb` runs, as a program: the paper's four ablations (Figs. 10–16)
//! on `lorenz96-quick` at the notebook's size (100 training steps per run, 8 test paths), each
//! report printed. `PDD_NOTEBOOK_CI=1` shrinks it as the notebook's CI run does.
//!
//! ```text
//! cargo run --release --example ablations -- [DIR]     # default target/notebooks/ablations
//! ```

use pdd::ablation::{Ablation, AblationKind, AblationOptions};
use pdd::prelude::*;

fn main() -> pdd::Result<()> {
    let ci = std::env::var("PDD_NOTEBOOK_CI").is_ok();
    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/notebooks/ablations".into());
    let options = pdd::ablation::tutorial_size(ci);
    let device = DeviceChoice::Auto.device()?;
    let study = Study::new("lorenz96-quick", &dir, device)?.with_options(options);
    let ablation = Ablation::new(study, AblationOptions::default())?;
    let t0 = std::time::Instant::now();
    for &kind in AblationKind::ALL {
        let report = ablation.run(kind, &PrintProgress::new())?;
        print!("{}", report.markdown());
    }
    println!("all studies in {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}
