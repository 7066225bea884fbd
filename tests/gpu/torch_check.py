#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""PyTorch under a libvgpu slice (tests/gpu/run.sh).

    LD_PRELOAD=libvgpu.so.1 VGPU_MEMORY_LIMIT=4096m python3 torch_check.py 4096 [LABEL]

PyTorch reaches the driver only through its CUDA runtime (dlopen of
libcuda.so.1, dlsym of cuGetProcAddress) and, for expandable segments,
through driver entry points it looks up itself: all of it must land in
libvgpu.  Checks: torch.cuda.mem_get_info() reports the slice; an
allocation beyond it raises torch.OutOfMemoryError and the process carries
on; the caching allocator never reserves more than the slice; a small
training loop completes and learns.  Prints one line 'TORCH key=value ...'
last; exits 0 when every check passed.
"""
import os
import sys
import time

MiB = 1 << 20


def main():
    quota = int(sys.argv[1]) * MiB
    label = sys.argv[2] if len(sys.argv) > 2 else "default"
    res = {"label": label}
    fails = []

    def check(ok, what):
        print("  %-62s %s" % (what, "ok" if ok else "FAILED"), flush=True)
        if not ok:
            fails.append(what)

    t0 = time.time()
    import torch

    res["torch"] = torch.__version__
    res["cuda"] = torch.version.cuda
    res["alloc_conf"] = os.environ.get("PYTORCH_CUDA_ALLOC_CONF", "-") or "-"
    dev = torch.device("cuda:0")
    torch.cuda.init()
    res["device"] = torch.cuda.get_device_name(0).replace(" ", "_")
    free, total = torch.cuda.mem_get_info(0)
    res["total_mib"] = total // MiB
    res["free_mib"] = free // MiB
    check(total == quota, "mem_get_info total %d MiB == the slice's %d MiB" % (total // MiB, quota // MiB))
    check(0 < free <= total, "mem_get_info free %d MiB within it" % (free // MiB))

    oom_type = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    # three quarters of the slice: fits
    big = (quota * 3 // 4) // MiB * MiB
    x = torch.empty(big, dtype=torch.uint8, device=dev)
    x.fill_(1)
    torch.cuda.synchronize()
    free2, _ = torch.cuda.mem_get_info(0)
    check(free2 <= quota - big, "after %d MiB: free %d MiB" % (big // MiB, free2 // MiB))
    # half the slice more: beyond it
    res["oom"] = 0
    try:
        y = torch.empty(quota // 2, dtype=torch.uint8, device=dev)
        y.fill_(1)
        torch.cuda.synchronize()
        del y
    except oom_type as e:
        res["oom"] = 1
        first = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        print("  OutOfMemoryError: %s" % first[:200], flush=True)
    check(res["oom"] == 1, "an allocation beyond the slice raises torch.OutOfMemoryError")
    # and the process carries on: the first allocation is intact
    check(int(x[::MiB].sum().item()) == len(range(0, big, MiB)), "the tensor allocated before is intact")
    del x
    torch.cuda.empty_cache()

    # a small training loop: learn a fixed linear map
    torch.manual_seed(0)
    w_true = torch.randn(512, 512, device=dev) / 512 ** 0.5
    model = torch.nn.Sequential(
        torch.nn.Linear(512, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 512)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    steps, first_loss, loss = 300, None, None
    t1 = time.time()
    for step in range(steps):
        data = torch.randn(256, 512, device=dev)
        target = data @ w_true
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(data), target)
        loss.backward()
        opt.step()
        if first_loss is None:
            first_loss = loss.item()
    torch.cuda.synchronize()
    last_loss = loss.item()
    res["steps"] = steps
    res["train_s"] = "%.2f" % (time.time() - t1)
    res["loss0"] = "%.4f" % first_loss
    res["loss1"] = "%.4f" % last_loss
    check(last_loss < first_loss * 0.5, "training: loss %.4f -> %.4f in %d steps" % (first_loss, last_loss, steps))

    res["max_reserved_mib"] = torch.cuda.max_memory_reserved(0) // MiB
    check(torch.cuda.max_memory_reserved(0) <= quota,
          "the allocator reserved at most %d MiB (<= the slice)" % res["max_reserved_mib"])
    free3, total3 = torch.cuda.mem_get_info(0)
    check(total3 == quota and free3 <= total3, "mem_get_info still the slice at the end")
    res["wall_s"] = "%.1f" % (time.time() - t0)
    res["pass"] = 0 if fails else 1
    if fails:
        res["fails"] = len(fails)
    print("TORCH " + " ".join("%s=%s" % kv for kv in res.items()), flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
