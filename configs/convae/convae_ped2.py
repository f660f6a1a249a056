_base_ = [
    '../_base_/models/convae.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Conv-AE on UCSD Ped2, CPU recipe (see configs/convae/README.md); the
# Avenue and ShanghaiTech configs are this recipe on their videos.
clip_len = 10  # Hasan et al.'s cuboid length
channels = (128, 64, 32)  # the paper's (512, 256, 128) / 4 for 2 CPU cores
model = dict(
    encoder=dict(in_frames=clip_len, channels=channels))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(128, 192)),  # 240x360 at ~half, same aspect
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
_clips = dict(clip_len=clip_len, pipeline=train_pipeline)
train_dataloader = dict(batch_size=16, dataset=dict(_clips, stride=2))
fit_dataloader = test_dataloader = dict(dataset=_clips)

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # Adam; AdaGrad 1e-2 in paper
# 10 epochs: the budget the label-free signal chose among 5-50
# (docs/benchmarks.md)
train_cfg = dict(max_epochs=10)
