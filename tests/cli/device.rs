//! `genekg train --device`: on the CPU it is the same training as without it; CUDA is refused
//! clearly where no GPU is visible (these machines have none, so CUDA itself is untested here).

use crate::helpers::TestDir;

#[test]
fn train_on_the_cpu_device_is_the_default_training_and_cuda_without_a_gpu_is_refused_clearly() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let train = |out: &str, device: Option<&str>| {
        let out = t.dir.path().join(out);
        // One libtorch thread: at two, same-seed trainings differ in the last bits about one run
        // in 30 (tests/cli/faults.rs); this test is about the device, not float scheduling.
        let mut args = vec!["train", "--epochs", "1", "--batch-size", "64", "--min-gene-sets", "2", "--threads", "1", "--out", out.to_str().unwrap()];
        if let Some(d) = device {
            args.extend(["--device", d]);
        }
        t.ok(&args);
        std::fs::read(out.join("model.safetensors")).unwrap()
    };
    assert_eq!(train("default", None), train("cpu", Some("cpu")), "--device cpu changed the weights");

    let out = t.run(&["train", "--epochs", "1", "--device", "tpu"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("use cpu, cuda or cuda:N"));
    if !std::path::Path::new("/dev/nvidia0").exists() {
        let out = t.run(&["train", "--epochs", "1", "--device", "cuda"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("sees no CUDA GPU"), "{err}");
        assert!(!t.dir.path().join("model").exists(), "a refused run wrote a model");
    }
}
