//! Data-parallel training (docs/scaling.md): 2 and 3 CPU replicas reach the weights of one
//! device with the same global batch (within 1e-5: only the float summation order differs),
//! a stopped and resumed 2-replica run is bit-identical to an uninterrupted one, and bad
//! splits are refused.

use burn::prelude::*;
use pdd::baseline::{DdpmConfig, DdpmObjective, DdpmSim};
use pdd::nn::UNet;
use pdd::predictor::{Builtin, PddModel, PredictorSpec};
use pdd::progress::NoProgress;
use pdd::spectral::Grid;
use pdd::train::{
    BatchPlan, ModelInit, ParallelConfig, PddObjective, Reduce, RunConfig, RunDir, TrainConfig,
    TrainJob, TrainObjective, TrainOptions, TrajectorySet, train,
};
use std::path::Path;
use std::sync::Arc;

use crate::common::{self, L, serial};

/// The largest weight difference allowed between replicated and single-device training: the
/// replicas sum the same per-row terms in another order (f32), nothing else differs.
const TOLERANCE: f32 = 1e-5;

fn train_cfg(steps: usize) -> TrainConfig {
    toml::from_str(&format!(
        "steps = {steps}\nbatch_size = 8\ngrad_accum = 2\nlr = 1e-3\ncheckpoint_every = 2\nlog_every = 1\nseed = 5\nobjective = \"sa-pdd\"\n"
    ))
    .unwrap()
}

/// The SA-PDD objective of the fixtures' tiny U-Net (noise head on: both loss terms shard).
fn objective(rc: &RunConfig, plan: BatchPlan) -> PddObjective<PddModel> {
    let shape = rc.predictor_shape().unwrap();
    let spec = Builtin::<UNet>::new(&rc.model).unwrap();
    let init: ModelInit<_> = Arc::new(move |d: &Device| spec.init(&shape, d));
    PddObjective::new(common::process(), rc.train.clone(), plan, &Device::flex(), init).unwrap()
}

/// 24 advection paths of data seed `seed`, the run configuration of `steps` steps and its
/// objective.
fn fixture(seed: u64, steps: usize) -> (TrajectorySet, RunConfig, PddObjective<PddModel>) {
    let data = TrajectorySet::new(common::advection(24, seed, 4.0), Grid::line(L)).unwrap();
    let rc = common::run_config("pdd", &train_cfg(steps));
    let plan = BatchPlan::new(data.len(), 8, 100, rc.train.seed).unwrap();
    let obj = objective(&rc, plan);
    (data, rc, obj)
}

fn cpu(n: usize) -> ParallelConfig {
    ParallelConfig::parse(&n.to_string(), pdd::backend::DeviceChoice::Cpu, Reduce::Main).unwrap()
}

/// Trains `objective` into `dir/name` on `n` CPU replicas; returns the run directory.
fn run<O: TrainObjective + Sync>(
    dir: &Path,
    name: &str,
    rc: &RunConfig,
    objective: &O,
    data: &TrajectorySet,
    options: TrainOptions,
) -> RunDir {
    let run = RunDir::prepare(dir.join(name), rc, options.resume, false).unwrap();
    let plan = BatchPlan::new(data.len(), rc.train.batch_size, 100, rc.train.seed).unwrap();
    let job = TrainJob {
        run: &run,
        cfg: &rc.train,
        architecture: "parallel-test",
        objective,
        plan: &plan,
        train_set: data,
        valid_set: None,
    };
    train(&job, &options, &NoProgress, &mut |_| {}).unwrap();
    run
}

/// Every tensor of a safetensors file, by name, as f32 values.
fn tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<(String, Vec<f32>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let v =
                view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            (name, v.collect())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The largest absolute difference between two sets of named tensors.
fn max_diff(a: &[(String, Vec<f32>)], b: &[(String, Vec<f32>)]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|((na, va), (nb, vb))| {
            assert_eq!((na, va.len()), (nb, vb.len()));
            va.iter().zip(vb).map(|(x, y)| (x - y).abs())
        })
        .fold(0.0, f32::max)
}

#[test]
fn two_and_three_cpu_replicas_match_one_device() {
    let _serial = serial();
    let (data, rc, obj) = fixture(1, 3);
    let dir = tempfile::tempdir().unwrap();
    let one = run(dir.path(), "one", &rc, &obj, &data, TrainOptions::new(Device::flex()));
    let w1 = tensors(&one.root().join("model.safetensors"));
    // how far the last step moved the weights: the comparison must resolve far less
    let moved = max_diff(&w1, &export(&rc, &one, 2));
    for n in [2, 3] {
        let opts = TrainOptions::new(Device::flex()).with_parallel(cpu(n));
        let r = run(dir.path(), &format!("x{n}"), &rc, &obj, &data, opts);
        let wn = tensors(&r.root().join("model.safetensors"));
        let d = max_diff(&w1, &wn);
        println!(
            "{n} replicas vs 1 device: max weight difference {d:.3e} (step 2 → 3 moved {moved:.3e})"
        );
        assert!(d <= TOLERANCE, "{n} replicas differ from one device by {d}");
        let log = |r: &RunDir| pdd::train::log::read(&r.log_path()).unwrap();
        for (a, b) in log(&one).iter().zip(log(&r)) {
            assert!(
                (a.loss - b.loss).abs() <= 1e-5 * a.loss.abs(),
                "step {}: {} vs {}",
                a.step,
                a.loss,
                b.loss
            );
        }
    }
    assert!(
        moved > 20.0 * TOLERANCE,
        "training barely moved the weights ({moved}): the comparison says nothing"
    );
}

/// The weights of checkpoint `step` of `run`, exported as safetensors and read back.
fn export(rc: &RunConfig, run: &RunDir, step: usize) -> Vec<(String, Vec<f32>)> {
    let spec = Builtin::<UNet>::new(&rc.model).unwrap();
    let fresh = spec.init(&rc.predictor_shape().unwrap(), &Device::flex()).unwrap();
    let ckpt = run.checkpoints().join(pdd::train::checkpoint::checkpoint_name(step));
    let model = pdd::train::checkpoint::load_weights(fresh, &ckpt.join("model.bpk")).unwrap();
    let path = run.root().join(format!("step-{step}.safetensors"));
    pdd::train::checkpoint::export_safetensors(&model, &path).unwrap();
    tensors(&path)
}

#[test]
fn resumed_two_replica_run_is_bit_identical_to_an_uninterrupted_one() {
    let _serial = serial();
    let (data, rc, obj) = fixture(2, 4);
    let dir = tempfile::tempdir().unwrap();
    let two = || TrainOptions::new(Device::flex()).with_parallel(cpu(2));
    let a = run(dir.path(), "a", &rc, &obj, &data, two());
    drop(run(dir.path(), "b", &rc, &obj, &data, two().stop_after(Some(2))));
    let b = run(dir.path(), "b", &rc, &obj, &data, two().resume(true));
    let (wa, wb) = (
        tensors(&a.root().join("model.safetensors")),
        tensors(&b.root().join("model.safetensors")),
    );
    assert_eq!(wa, wb);
    let losses = |r: &RunDir| -> Vec<(usize, f64)> {
        pdd::train::log::read(&r.log_path()).unwrap().iter().map(|r| (r.step, r.loss)).collect()
    };
    assert_eq!(losses(&a), losses(&b));
}

#[test]
fn ddpm_baseline_shards_match_one_device() {
    let _serial = serial();
    let data = TrajectorySet::new(common::advection(24, 3, 4.0), Grid::line(L)).unwrap();
    let mut tc = train_cfg(2);
    tc.objective = pdd::train::Objective::Pdd;
    let rc = RunConfig {
        stages: common::ddpm_stage(DdpmConfig { stride: 100, ..DdpmConfig::default() }),
        ..common::run_config("ddpm-sim", &tc)
    };
    // ddpm-sim cuts every path into F − w examples: shards must keep them together
    let obj = DdpmObjective::<DdpmSim>::for_run(&rc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let one = run(dir.path(), "one", &rc, &obj, &data, TrainOptions::new(Device::flex()));
    let opts = TrainOptions::new(Device::flex()).with_parallel(cpu(3));
    let three = run(dir.path(), "three", &rc, &obj, &data, opts);
    let d = max_diff(
        &tensors(&one.root().join("model.safetensors")),
        &tensors(&three.root().join("model.safetensors")),
    );
    println!("ddpm-sim, 3 replicas vs 1 device: max weight difference {d:.3e}");
    assert!(d <= TOLERANCE, "{d}");
}

#[test]
fn splits_that_leave_a_replica_without_paths_are_refused() {
    let _serial = serial();
    let data = TrajectorySet::new(common::advection(8, 4, 4.0), Grid::line(L)).unwrap();
    let mut tc = train_cfg(1);
    tc.batch_size = 2;
    let rc = common::run_config("pdd", &tc);
    let plan = BatchPlan::new(data.len(), 2, 100, rc.train.seed).unwrap();
    let obj = objective(&rc, plan);
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::prepare(dir.path().join("r"), &rc, false, false).unwrap();
    let job = TrainJob::new(&run, &rc.train, "parallel-test", &obj, &plan, &data);
    let opts = TrainOptions::new(Device::flex()).with_parallel(cpu(3));
    let e = train(&job, &opts, &NoProgress, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("2 paths cannot be split across 3 replicas"), "{e}");
    assert!(!run.checkpoints().join("step-0000001").exists());
}

/// A replica on another device gets its objective through `on_device`: the moved copy computes
/// the same shard losses as the original.
#[test]
fn an_objective_moved_to_a_device_computes_the_same_shard_loss() {
    let _serial = serial();
    let (data, _, obj) = fixture(5, 1);
    let moved = obj.on_device(&Device::flex()).unwrap();
    let model = obj.init_model(&Device::flex()).unwrap();
    let shard = pdd::train::Shard { rows: 3..8, of: 8 };
    let x0 = data.tensor(&[3, 4, 5, 6, 7], &Device::flex());
    let loss = |o: &PddObjective<PddModel>| {
        o.shard_loss(&model, x0.clone(), 2, &shard).unwrap().total.into_scalar::<f32>()
    };
    assert_eq!(loss(&obj), loss(&moved));
    assert!(obj.shard_loss(&model, x0, 2, &pdd::train::Shard { rows: 3..9, of: 8 }).is_err());
}
