_base_ = [
    '../_base_/models/cbad.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# The paper's recipe on UCSD Ped2: 224x224, 16/4, Adam 1e-4, batch 32,
# 120 epochs, dim 256, tau 0.07, K 8, m 10 (a GPU run; cbad_ped2_cpu.py is
# its CPU version). The Avenue and ShanghaiTech wholeframe configs are this
# recipe on their colour videos.
in_channels = 1  # Ped2 frames are grey in 3 equal channels: read them grey
branch = dict(in_channels=in_channels)
model = dict(encoder=dict(spatial=branch, temporal=branch))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=in_channels == 1),
    dict(type='ResizeClip', size=(224, 224)),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
# Training: clips with their motion group (eq. 8), in runs of 4 neighbouring
# windows so the smoothness loss (eq. 16) has pairs.
train_dataloader = dict(
    sampler=dict(_delete_=True, type='NeighbourClipSampler', run_length=4),
    dataset=dict(pipeline=train_pipeline, motion_groups=_base_.motion_groups))
# Fitting and testing: whole videos, each frame encoded once.
_video = dict(sample_unit='video', pipeline=test_pipeline)
fit_dataloader = test_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = dict(
    _base_.train_videos, dataset=dict(_base_.train_videos.dataset, **_video))
