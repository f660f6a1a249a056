_base_ = [
    '../_base_/models/memae.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# MemAE on the built-in synthetic scene (minutes on 2 CPU cores). The
# 120x160 frames are resized to 96x128 (a multiple of 16, same aspect), so
# the decoder's output needs no resampling.
clip_len = 16
input_size = (96, 128)
channels = (16, 24, 32, 32)
num_slots = 500  # fewer prototypes for a small scene

model = dict(
    encoder=dict(channels=channels),
    memory=dict(num_slots=num_slots, feat_dim=channels[-1]),  # lambda 1/N
    decoder=dict(channels=channels))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=4, pipeline=train_pipeline))
fit_dataloader = dict(
    dataset=dict(clip_len=clip_len, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(clip_len=clip_len, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=8)
default_hooks = dict(logger=dict(interval=10))
