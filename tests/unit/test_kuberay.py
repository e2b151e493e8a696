"""The KubeRay RayService manifest stays the GPU Serve config, on a CPU head and a GPU worker group.

(Checked once against KubeRay's RayService CRD schema, which is not vendored here; what can drift is checked here.)
"""

from __future__ import annotations

from pathlib import Path

import yaml

from serving.config import AppArgs

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "configs" / "kuberay" / "rayservice.yaml").read_text())


def test_the_manifest_serves_the_gpu_config_unchanged():
    served = yaml.safe_load(MANIFEST["spec"]["serveConfigV2"])
    gpu = yaml.safe_load((ROOT / "configs" / "serve.gpu.yaml").read_text())
    assert served == {k: gpu[k] for k in ("proxy_location", "http_options", "applications")}
    args = AppArgs.model_validate(served["applications"][0]["args"])
    assert args.options_for("Transcriber").num_gpus > 0 and args.options_for("Dialogue").num_gpus == 0


def test_a_cpu_head_and_a_gpu_worker_group_both_exporting_metrics():
    assert (MANIFEST["apiVersion"], MANIFEST["kind"]) == ("ray.io/v1", "RayService")
    cluster = MANIFEST["spec"]["rayClusterConfig"]
    head = cluster["headGroupSpec"]
    head_limits = head["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert "nvidia.com/gpu" not in head_limits and "num-gpus" not in head["rayStartParams"]
    [gpu] = cluster["workerGroupSpecs"]
    limits = gpu["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["nvidia.com/gpu"] == gpu["rayStartParams"]["num-gpus"] == "1"
    assert gpu["minReplicas"] <= gpu["replicas"] <= gpu["maxReplicas"]
    for group in (head, gpu):
        assert group["rayStartParams"]["metrics-export-port"] == "8080"
        mounts = {m["mountPath"] for m in group["template"]["spec"]["containers"][0]["volumeMounts"]}
        assert {"/shared/kefu", "/run/secrets"} <= mounts  # the index, policies and the data key ring
