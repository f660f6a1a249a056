_base_ = [
    '../_base_/models/cbad.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# CPU recipe: the paper's whole-frame model (cbad_ped2_wholeframe.py),
# lighter, trained in <= 30 min on 2 cores. PAPER.md's calibration: on CPU
# the number of optimisation steps matters more than resolution, so the
# input is small and the branches narrow.
embed_dim = 128  # paper: 256; halves the fusion/attention/head cost
in_channels = 1  # Ped2 frames are grey in 3 equal channels
# paper: 4 blocks of 32-256 channels
branch = dict(
    in_channels=in_channels, channels=(16, 32, 64), out_dim=embed_dim)
model = dict(
    encoder=dict(spatial=branch, temporal=branch))  # the rest follow out_dim

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=in_channels == 1),
    dict(type='ResizeClip', size=(64, 96)),  # ~1/4 of 240x360 (paper: 224)
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
# Training, fitting and testing read the data as cbad_ped2_wholeframe.py.
train_dataloader = dict(
    sampler=dict(_delete_=True, type='NeighbourClipSampler', run_length=4),
    dataset=dict(pipeline=train_pipeline, motion_groups=_base_.motion_groups))
_video = dict(sample_unit='video', pipeline=test_pipeline)
fit_dataloader = test_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = dict(
    _base_.train_videos, dataset=dict(_base_.train_videos.dataset, **_video))

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # few epochs: larger steps
train_cfg = dict(max_epochs=16)  # fits the 30-minute CPU budget
