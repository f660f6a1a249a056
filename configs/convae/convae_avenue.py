_base_ = [
    '../_base_/models/convae.py', '../_base_/datasets/avenue.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Conv-AE on CUHK Avenue, CPU recipe (see configs/convae/README.md).
clip_len = 10  # Hasan et al.'s cuboid length
input_size = (128, 224)  # 16:9 frames at a Ped2-like pixel budget
channels = (128, 64, 32)  # the paper's (512, 256, 128) / 4 for 2 CPU cores

model = dict(
    encoder=dict(in_frames=clip_len, channels=channels),
    decoder=dict(out_frames=clip_len, channels=channels))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=16,
    dataset=dict(clip_len=clip_len, stride=2, pipeline=train_pipeline))
fit_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=4, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=4, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # Adam; AdaGrad 1e-2 in paper
train_cfg = dict(max_epochs=25)
