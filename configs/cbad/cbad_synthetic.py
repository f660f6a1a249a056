_base_ = [
    '../_base_/models/cbad.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# The paper's model on the built-in synthetic scene, sized for minutes on 2
# CPU cores (frames are 120x160 grey; resized to 60x80 here).
embed_dim = 64
in_channels = 1  # grey frames
branch = dict(
    in_channels=in_channels, channels=(16, 32, 64), out_dim=embed_dim)
model = dict(
    encoder=dict(spatial=branch, temporal=branch))  # the rest follow out_dim

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=in_channels == 1),
    dict(type='ResizeClip', size=(60, 80)),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    sampler=dict(_delete_=True, type='NeighbourClipSampler', run_length=4),
    dataset=dict(
        pipeline=train_pipeline,
        motion_groups=dict(_base_.motion_groups, flow_size=None)))
_video = dict(sample_unit='video', pipeline=test_pipeline)
fit_dataloader = test_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = dict(
    _base_.train_videos, dataset=dict(_base_.train_videos.dataset, **_video))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=10)
default_hooks = dict(logger=dict(interval=5))
