_base_ = ['./convae_ped2.py']
# Conv-AE at Hasan et al.'s widths (512, 256, 128) instead of a quarter of
# them, everything else as `convae_ped2.py` (128x192 input, Adam 1e-3,
# batch 16): how far model width alone moves the CPU recipe (the sixth rule
# in docs/benchmarks.md, Conv-AE width).
model = dict(encoder=dict(channels=(512, 256, 128)))
