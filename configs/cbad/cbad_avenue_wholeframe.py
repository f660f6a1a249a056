_base_ = [
    '../_base_/models/cbad.py', '../_base_/datasets/avenue.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# The paper's recipe on CUHK Avenue: 224x224, 16/4, Adam 1e-4, batch 32,
# 120 epochs, dim 256, tau 0.07, K 8, m 10 (a GPU run).
input_size = (224, 224)
to_gray = False  # colour video
branch = dict(in_channels=3)
model = dict(
    encoder=dict(spatial=branch, temporal=branch))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=to_gray),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
# Training: clips with their motion group (eq. 8; the flow noise floor keeps
# sensor noise from deciding the groups, see docs/model_cbad.md), in runs of
# 4 neighbouring windows so the smoothness loss (eq. 16) has pairs.
train_dataloader = dict(
    batch_size=32,
    sampler=dict(_delete_=True, type='NeighbourClipSampler', run_length=4),
    dataset=dict(
        pipeline=train_pipeline,
        motion_groups=dict(num_groups=3, flow_size=(60, 90),
                           noise_floor=0.3)))
# Fitting and testing: whole videos, each frame encoded once.
_video = dict(sample_unit='video', pipeline=test_pipeline)
fit_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='AvenueDataset',
        data_root={{_base_.data_root}},
        split='train',
        val_ratio={{_base_.val_ratio}},
        test_mode=True,
        **_video))
test_dataloader = dict(batch_size=1, dataset=_video)
