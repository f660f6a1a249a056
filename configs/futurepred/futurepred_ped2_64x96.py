_base_ = [
    '../_base_/models/futurepred.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# FFP on UCSD Ped2, the 64x96 CPU recipe (see configs/futurepred/README.md;
# `futurepred_ped2.py` until 2026-12-03, when the zoo's `futurepred_ped2`
# became its 128x192 variant, futurepred_ped2.py since): the
# paper's 256x256 colour input, widths 64 (G) / 128 (D) and batch 4 shrunk
# to fit ~30 min on 2 CPU cores. The Avenue and ShanghaiTech configs are
# this recipe on their videos (grey input; the paper uses colour).
clip_len = 5  # FFP: 4 past frames + the frame to predict
model = dict(
    generator=dict(in_frames=clip_len - 1, base_channels=32),
    discriminator=dict(base_channels=32))

train_pipeline = test_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(64, 96)),  # 240x360 at ~1/4, same aspect
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(clip_len=clip_len, stride=3, pipeline=train_pipeline))
# Stride 1: every frame from the 5th on is predicted exactly once, and
# 'end' gives it that prediction's score (FFP's per-frame PSNR); the first
# 4 frames of a video, which FFP leaves out, get the first prediction's.
fit_dataloader = test_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))
test_evaluator = dict(clip_to_frame='end')

optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=_base_.paramwise_cfg)
# 30 epochs: the budget the label-free signal chose among 2-30
# (docs/benchmarks.md)
train_cfg = dict(max_epochs=30)
